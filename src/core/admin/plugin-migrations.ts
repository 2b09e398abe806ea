import { PluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import type { Actor, AuditLog } from './audit-log';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { PluginEntry } from '../registry/plugin-entry';

interface MigrationsDeps {
  pluginsDir: string;
  registry: PluginRegistry;
  loader: PluginLoader;
  migrator: PluginMigrator;
  audit: AuditLog;
}

/** Migrations on demand: apply pending ones, revert, redo the newest (the admin API and the CLI). */
export class PluginMigrations {
  constructor(private readonly deps: MigrationsDeps) {}

  /** Applies pending migrations of one enabled plugin, or of every enabled plugin. */
  async migrate(id: string | undefined, actor: Actor): Promise<Record<string, string[]>> {
    const { registry, migrator, loader, audit } = this.deps;
    const targets = id ? [registry.require(id)] : registry.all().filter((r) => r.record.enabled && r.discovered?.markerFile && !r.discovered.error);
    const applied: Record<string, string[]> = {};
    for (const entry of targets) {
      if (!entry.record.enabled) {
        throw new PluginError('PLG_DISABLED', `Plugin '${entry.id}' is disabled; its migrations run when it is enabled.`, {
          pluginId: entry.id,
          hint: `Enable it (appnest enable ${entry.id} --accept-risk) to apply its migrations.`,
        });
      }
      const plugin = this.filesOf(entry);
      applied[entry.id] = await migrator.migrate(plugin, entry.backend?.code ?? loader.codeLoader(plugin));
    }
    await audit.record({ ...actor, action: 'migrate', pluginId: id ?? null, outcome: 'ok', detail: { applied } });
    return applied;
  }

  /** Reverts a disabled plugin's migrations, newest first, down to (not including) `to`, or all. */
  async revert(id: string, to: string | undefined, actor: Actor): Promise<{ reverted: string[] }> {
    const entry = this.deps.registry.require(id);
    if (entry.record.enabled) {
      throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' is enabled; disable it before reverting its migrations.`, {
        pluginId: id,
        hint: `appnest disable ${id}, then migrate:revert again.`,
      });
    }
    const plugin = this.filesOf(entry);
    const reverted = await this.deps.migrator.revert(plugin, this.deps.loader.codeLoader(plugin), to);
    this.deps.registry.migrated(id, false);
    await this.deps.audit.record({ ...actor, action: 'migrate:revert', pluginId: id, outcome: 'ok', detail: { reverted, to: to ?? null } });
    return { reverted };
  }

  /**
   * Reverts a plugin's newest applied migration and applies it again. A development tool: on an
   * enabled plugin only under `appnest dev` (`development`), else the plugin must be disabled.
   */
  async redo(id: string, development: boolean, actor: Actor): Promise<{ redone: string }> {
    const entry = this.deps.registry.require(id);
    if (entry.record.enabled && !development) {
      throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' is enabled; redo its last migration under appnest dev, or disable it first.`, {
        pluginId: id,
        hint: `Run the host with appnest dev, or appnest disable ${id}, then migrate:redo again.`,
      });
    }
    const plugin = this.filesOf(entry);
    const redone = await this.deps.migrator.redo(plugin, entry.backend?.code ?? this.deps.loader.codeLoader(plugin));
    await this.deps.audit.record({ ...actor, action: 'migrate:redo', pluginId: id, outcome: 'ok', detail: { redone } });
    return { redone };
  }

  private filesOf(entry: PluginEntry) {
    if (!entry.discovered) {
      throw new PluginError('PLG_FILES_MISSING', `Plugin '${entry.id}' has no files in ${this.deps.pluginsDir}.`, {
        pluginId: entry.id,
        hint: 'Put the plugin folder back, then reload.',
      });
    }
    return entry.discovered;
  }
}
