import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HostConfig } from '../../config/host-config';
import { PluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import type { StoredArchives } from '../host-adapters';
import type { AuditLog } from './audit-log';
import type { PluginActivator } from '../reconcile/plugin-reconciler';
import type { PluginRuntime } from '../registry/plugin-entry';
import { UNINSTALLED, type PluginStore } from '../registry/plugin-store';

export interface Actor {
  actor: string;
  ip?: string | null;
}

interface MaintenanceDeps {
  config: HostConfig;
  runtimes: Map<string, PluginRuntime>;
  runtime: (id: string) => PluginRuntime;
  activator: PluginActivator;
  store: PluginStore;
  loader: PluginLoader;
  migrator: PluginMigrator;
  audit: AuditLog;
  /** The ids to disable with `id` (its enabled dependents and itself). */
  disableSet: (id: string) => string[];
  archives: StoredArchives;
  /** Deletes a plugin's job queues (uninstall --purge). */
  jobs?: { purge(pluginId: string): Promise<number> };
}

/** Migrations on demand and uninstall: the admin operations that touch a plugin's data and files. */
export class PluginMaintenance {
  constructor(private readonly deps: MaintenanceDeps) {}

  /** Applies pending migrations of one enabled plugin, or of every enabled plugin. */
  async migrate(id: string | undefined, actor: Actor): Promise<Record<string, string[]>> {
    const { runtimes, runtime: find, migrator, loader, audit } = this.deps;
    const targets = id ? [find(id)] : [...runtimes.values()].filter((r) => r.record.enabled && r.discovered?.backendEntry && !r.discovered.error);
    const applied: Record<string, string[]> = {};
    for (const runtime of targets) {
      if (!runtime.record.enabled) {
        throw new PluginError('PLG_DISABLED', `Plugin '${runtime.id}' is disabled; its migrations run when it is enabled.`, {
          pluginId: runtime.id,
          hint: `Enable it (appnest enable ${runtime.id} --accept-risk) to apply its migrations.`,
        });
      }
      const plugin = this.filesOf(runtime);
      applied[runtime.id] = await migrator.migrate(plugin, runtime.backend?.code ?? loader.codeLoader(plugin));
    }
    await audit.record({ ...actor, action: 'migrate', pluginId: id ?? null, outcome: 'ok', detail: { applied } });
    return applied;
  }

  /** Reverts a disabled plugin's migrations, newest first, down to (not including) `to`, or all. */
  async revert(id: string, to: string | undefined, actor: Actor): Promise<{ reverted: string[] }> {
    const runtime = this.deps.runtime(id);
    if (runtime.record.enabled) {
      throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' is enabled; disable it before reverting its migrations.`, {
        pluginId: id,
        hint: `appnest disable ${id}, then migrate:revert again.`,
      });
    }
    const plugin = this.filesOf(runtime);
    const reverted = await this.deps.migrator.revert(plugin, this.deps.loader.codeLoader(plugin), to);
    runtime.migratedFingerprint = undefined;
    await this.deps.audit.record({ ...actor, action: 'migrate:revert', pluginId: id, outcome: 'ok', detail: { reverted, to: to ?? null } });
    return { reverted };
  }

  /**
   * Reverts a plugin's newest applied migration and applies it again. A development tool: on an
   * enabled plugin only under `appnest dev` (`development`), else the plugin must be disabled.
   */
  async redo(id: string, development: boolean, actor: Actor): Promise<{ redone: string }> {
    const runtime = this.deps.runtime(id);
    if (runtime.record.enabled && !development) {
      throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' is enabled; redo its last migration under appnest dev, or disable it first.`, {
        pluginId: id,
        hint: `Run the host with appnest dev, or appnest disable ${id}, then migrate:redo again.`,
      });
    }
    const plugin = this.filesOf(runtime);
    const redone = await this.deps.migrator.redo(plugin, runtime.backend?.code ?? this.deps.loader.codeLoader(plugin));
    await this.deps.audit.record({ ...actor, action: 'migrate:redo', pluginId: id, outcome: 'ok', detail: { redone } });
    return { redone };
  }

  /**
   * Disables a plugin (and its dependents), removes its files from the plugins folder and its
   * entry from the listing. Without `purge` its record (settings) and data stay for a reinstall;
   * with `purge` its migrations are reverted and its record and settings forgotten.
   */
  async uninstall(id: string, options: Actor & { purge?: boolean }): Promise<{ id: string; purged: boolean; reverted: string[] }> {
    const { runtimes, store, migrator, loader, activator, audit } = this.deps;
    const runtime = this.deps.runtime(id);
    for (const target of this.deps.disableSet(id)) {
      await store.update(target, { enabled: false });
      this.deps.runtime(target).record.enabled = false;
    }
    await activator.apply();
    let reverted: string[] = [];
    if (options.purge && runtime.discovered?.backendEntry) {
      reverted = await migrator.revert(runtime.discovered, loader.codeLoader(runtime.discovered));
    }
    if (options.purge) await this.deps.jobs?.purge(id);
    if (runtime.discovered) this.removeFiles(runtime.discovered.dir);
    await this.deps.archives.remove(id);
    if (options.purge) await store.remove(id);
    else {
      await store.setState(id, UNINSTALLED, null);
      runtime.record.state = UNINSTALLED;
    }
    runtimes.delete(id);
    await audit.record({ ...options, action: 'uninstall', pluginId: id, outcome: 'ok', detail: { purge: !!options.purge, reverted } });
    return { id, purged: !!options.purge, reverted };
  }

  private filesOf(runtime: PluginRuntime) {
    if (!runtime.discovered) {
      throw new PluginError('PLG_FILES_MISSING', `Plugin '${runtime.id}' has no files in ${this.deps.config.pluginsDir}.`, {
        pluginId: runtime.id,
        hint: 'Put the plugin folder back, then reload.',
      });
    }
    return runtime.discovered;
  }

  /** Deletes a plugin folder, refusing anything that is not directly inside a plugins folder. */
  private removeFiles(dir: string): void {
    const parent = resolve(dir, '..');
    const { pluginsDir, frontendPluginsDir } = this.deps.config;
    if (parent !== resolve(pluginsDir) && parent !== resolve(frontendPluginsDir)) {
      throw new PluginError('PLG_INTERNAL', `Refusing to delete ${dir}: it is not a plugin folder of this host.`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
