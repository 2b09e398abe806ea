import type { UninstallResult } from '../../contracts/plugin-view';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { PluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import type { StoredArchives } from '../host-adapters';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { Actor, AuditLog } from './audit-log';

interface UninstallDeps {
  pluginsDir: string;
  frontendPluginsDir: string;
  registry: PluginRegistry;
  loader: PluginLoader;
  migrator: PluginMigrator;
  audit: AuditLog;
  archives: StoredArchives;
  /** The ids to disable with `id` (its enabled dependents and itself). */
  disableSet: (id: string) => string[];
  /** Drops the version an upgrade kept for a rollback. */
  forgetPrevious: (id: string) => Promise<void>;
  /** Stops what must stop (the caller holds the change lock). */
  reconcile: () => Promise<unknown>;
  /** Deletes a plugin's job queues (uninstall --purge). */
  jobs?: { purge(pluginId: string): Promise<number> };
}

/** Uninstall: the one admin operation that deletes a plugin's files (and with --purge, its data). */
export class PluginUninstaller {
  constructor(private readonly deps: UninstallDeps) {}

  /**
   * Disables a plugin (and its dependents), removes its files from the plugins folder and its
   * entry from the listing. Without `purge` its record (settings) and data stay for a reinstall;
   * with `purge` its migrations are reverted and its record and settings forgotten.
   */
  async uninstall(id: string, options: Actor & { purge?: boolean }): Promise<UninstallResult> {
    const { registry, migrator, loader, audit } = this.deps;
    const entry = registry.require(id);
    for (const target of this.deps.disableSet(id)) await registry.setFlags(target, { enabled: false });
    await this.deps.reconcile();
    let reverted: string[] = [];
    if (options.purge && entry.discovered?.markerFile) {
      reverted = await migrator.revert(entry.discovered, loader.codeLoader(entry.discovered));
    }
    if (options.purge) await this.deps.jobs?.purge(id);
    if (entry.discovered) this.removeFiles(entry.discovered.dir);
    await this.deps.forgetPrevious(id);
    await this.deps.archives.remove(id);
    await registry.uninstalled(id, !!options.purge);
    await audit.record({ ...options, action: 'uninstall', pluginId: id, outcome: 'ok', detail: { purge: !!options.purge, reverted } });
    return { id, purged: !!options.purge, reverted };
  }

  /** Deletes a plugin folder, refusing anything that is not directly inside a plugins folder. */
  private removeFiles(dir: string): void {
    const parent = resolve(dir, '..');
    const { pluginsDir, frontendPluginsDir } = this.deps;
    if (parent !== resolve(pluginsDir) && parent !== resolve(frontendPluginsDir)) {
      throw new PluginError('PLG_INTERNAL', `Refusing to delete ${dir}: it is not a plugin folder of this host.`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
