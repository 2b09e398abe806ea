import type { ClusterFollower } from '../core/host-adapters';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginFolder } from '../discovery/plugin-scanner';
import type { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import type { HostLogger } from '../logging/host-logger';
import type { ArchiveStore } from './archive-store';

interface ClusterSyncDeps {
  pluginsDir: string;
  /** The ids of the plugins this instance knows. */
  installedIds: () => string[];
  archives: ArchiveStore;
  installer: PluginArchiveInstaller;
  logger: HostLogger;
}

/**
 * Brings this instance in line with the database after another instance changed something:
 * installs or replaces the files of uploaded plugins from their stored archives, removes the
 * files of plugins uninstalled elsewhere. It never announces anything itself, so no loop.
 */
export class ClusterSync implements ClusterFollower {
  constructor(private readonly deps: ClusterSyncDeps) {}

  async pullFiles(): Promise<void> {
    const { archives, installer, logger, pluginsDir } = this.deps;
    const stored = await archives.list();
    for (const archive of stored) {
      if (archives.local(archive.pluginId) === archive.sha256 || archive.size === 0) continue;
      try {
        const replacedSha = archives.local(archive.pluginId);
        const folder = join(pluginsDir, archive.pluginId);
        const replaced = existsSync(folder) ? readPluginFolder(folder, 'plugins') : undefined;
        const replacedVersion = replaced && !replaced.error ? replaced.version : undefined;
        const staged = await installer.stage(await archives.bytes(archive.pluginId), archive.fileName);
        const installed = await staged.commit({ overwrite: true });
        archives.setLocal(archive.pluginId, archive.sha256);
        // An upgrade made elsewhere: the replaced version is kept here too, so a rollback works from any
        // instance. After a rollback elsewhere nothing is kept, here either.
        const previousSha = await archives.previousSha(archive.pluginId);
        if (installed.replaced && replacedSha !== undefined && replacedVersion !== undefined && previousSha === replacedSha) {
          await installed.keepPrevious({ version: replacedVersion, sha256: replacedSha });
        } else {
          await installed.finish();
          if (previousSha === undefined) await installer.forgetPrevious(archive.pluginId);
        }
        logger.info(`Plugin '${archive.pluginId}': installed the stored archive ${archive.sha256.slice(0, 12)} from the database`);
      } catch (err) {
        logger.error(`Plugin '${archive.pluginId}': the stored archive ${archive.sha256.slice(0, 12)} could not be installed here: ${(err as Error).message}`);
      }
    }
    const storedIds = new Set(stored.map((a) => a.pluginId));
    for (const id of this.deps.installedIds()) {
      if (storedIds.has(id) || !archives.local(id)) continue;
      rmSync(join(pluginsDir, id), { recursive: true, force: true });
      archives.setLocal(id, undefined);
      logger.info(`Plugin '${id}' was uninstalled on another instance; its files are removed here`);
    }
  }
}
