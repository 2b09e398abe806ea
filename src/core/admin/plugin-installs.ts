import { readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PluginArchiveInstaller, type InstalledPlugin, type StagedPlugin } from '../../archive/plugin-archive-installer';
import type { EntityManager } from 'typeorm';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { HostLogger } from '../../logging/host-logger';
import type { StoredArchives } from '../host-adapters';
import type { Actor, AuditLog } from './audit-log';
import type { PluginRegistry } from '../registry/plugin-registry';

/** What installs and rollbacks work with: both commit plugin files as one journaled sequence under the change lock. */
export interface ArchiveOperationsDeps {
  registry: PluginRegistry;
  audit: AuditLog;
  logger: HostLogger;
  installer: PluginArchiveInstaller;
  archives: StoredArchives;
  /** Runs `work` in one database transaction. */
  transaction: <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>;
  /** Rescans the folders and applies the result (the caller holds the change lock). */
  refresh: () => Promise<void>;
}

/** Installs from archives: an upload, a zip dropped in the plugins folder; upgrades when the id is installed. */
export class PluginInstalls {
  constructor(private readonly deps: ArchiveOperationsDeps) {}

  /** Validates and stages an archive (no lock needed: nothing in the plugins folder changes). */
  stage(archive: Buffer, fileName: string): Promise<StagedPlugin> {
    return this.deps.installer.stage(archive, fileName);
  }

  /**
   * Moves a staged plugin into place and starts it when it is enabled, as one sequence under the
   * change lock: commit (journaled), start, then the archive and the audit row in one database
   * transaction (the commit point), and only then the previous version is set aside for a rollback
   * (`<pluginsDir>/.previous/<id>`, replacing the one kept before; its stored archive is kept as the
   * previous one in the same transaction). If any step
   * fails, the previous version is put back and keeps serving; a new id leaves nothing behind.
   */
  async commit(staged: StagedPlugin, archive: Buffer, options: Actor & { overwrite: boolean; source: string }) {
    const { registry, refresh, audit, archives } = this.deps;
    const existing = registry.get(staged.id);
    if (existing?.discovered && existing.discovered.source !== 'plugins') {
      await staged.discard();
      throw new PluginError('PLG_ALREADY_INSTALLED', `Plugin '${staged.id}' is installed in the frontend plugins folder; uninstall it first.`, { pluginId: staged.id });
    }
    const detail = { sha256: staged.sha256, source: basename(options.source), overwrite: options.overwrite, files: staged.entries, bytes: staged.bytes };
    let installed: InstalledPlugin;
    try {
      installed = await staged.commit({ overwrite: options.overwrite });
    } catch (err) {
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'refused', detail: { ...detail, code: (err as PluginError).code } });
      throw err;
    }
    const action = installed.replaced ? 'upgrade' : 'install';
    // What the replaced version was installed from, kept with its files for a rollback.
    const previousSha = installed.replaced ? await archives.storedSha(staged.id).catch(() => undefined) : undefined;
    try {
      await refresh();
      const entry = registry.require(staged.id);
      if (entry.discovered?.error) throw entry.discovered.error;
      // A running plugin whose new version cannot start keeps its old activation and carries the error: that is a failed upgrade too.
      if (entry.record.enabled && (entry.state !== 'active' || entry.error)) throw entry.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${staged.id}' did not start.`, { pluginId: staged.id });
      await this.deps.transaction(async (manager) => {
        if (installed.replaced) await archives.keepPrevious(staged.id, manager);
        await archives.save(staged.id, staged.sha256, basename(options.source), archive, manager);
        await audit.record({ ...options, action, pluginId: staged.id, outcome: 'ok', detail }, manager);
      });
    } catch (err) {
      const restored = await installed.restore().then(
        () => true,
        (restoreError: Error) => {
          this.deps.logger.error(`${restoreError.message} (the next start settles it from the install journal)`);
          return false;
        },
      );
      await refresh();
      if (!existing) await registry.forgetFailedInstall(staged.id);
      const error = toPluginError(err, 'PLG_INTERNAL', staged.id, 'could not be installed');
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'failed', detail: { ...detail, code: error.code, restored: installed.replaced && restored } });
      throw error;
    }
    // Committed: the database names the new archive. What is left is housekeeping, which the next start redoes if it fails here.
    if (installed.replaced) await registry.setRollback(staged.id, undefined);
    try {
      archives.setLocal(staged.id, staged.sha256);
      if (installed.replaced && existing?.discovered) await installed.keepPrevious({ version: existing.discovered.version, sha256: previousSha ?? null });
      else await installed.finish();
    } catch (err) {
      this.deps.logger.warn(`Plugin '${staged.id}' is installed, but cleaning up after it failed: ${(err as Error).message}`);
    }
    return { id: staged.id, replaced: installed.replaced, sha256: staged.sha256, previousVersion: installed.replaced ? existing?.discovered?.version : undefined };
  }

  /** Installs the .zip files dropped into the plugins folder; each is removed once installed, or renamed to .rejected. */
  async installDropped(archives: string[]): Promise<string[]> {
    const installed: string[] = [];
    for (const file of archives) {
      try {
        const bytes = readFileSync(file);
        const staged = await this.stage(bytes, basename(file));
        await this.commit(staged, bytes, { actor: 'plugins folder', overwrite: false, source: file });
        rmSync(file, { force: true });
        installed.push(staged.id);
      } catch (err) {
        const error = err as PluginError;
        this.deps.logger.error(`${error.code ?? 'PLG_INTERNAL'}: the archive ${basename(file)} dropped in the plugins folder was not installed: ${error.message}`);
        renameSync(file, `${file}.rejected`);
      }
    }
    return installed;
  }
}

/** Staging lives inside the plugins folder (a dot-folder the scanner skips), so committing is a rename on one file system. */
export function stagingDirOf(pluginsDir: string): string {
  return join(pluginsDir, '.staging');
}
