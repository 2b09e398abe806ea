import { frontendErrorOf, listFrontends } from '../../frontend/frontend-list';
import type { MigrationStatus, PluginMigrator } from '../../migrate/plugin-migrator';
import { maskSecrets } from '../../settings/setting-secrets';
import type { AppnestHost } from '../appnest-host';
import type { PluginRuntime } from '../registry/plugin-entry';

/** How many of a plugin's last log lines its description carries (GET .../logs has them all). */
const RECENT_LOG_LINES = 20;

/** What the admin API, the CLI and the health check show of the plugins. */
export class PluginViews {
  constructor(
    private readonly host: AppnestHost,
    private readonly migrator: PluginMigrator,
  ) {}

  async list() {
    return Promise.all([...this.host.runtimes.values()].sort((a, b) => a.id.localeCompare(b.id)).map((r) => this.describe(r)));
  }

  async describe(runtime: PluginRuntime) {
    const d = runtime.discovered;
    const descriptor = d?.descriptor ?? {};
    let migrations: MigrationStatus = { applied: [], pending: [] };
    if (d) {
      try {
        migrations = await this.migrator.status(d);
      } catch (err) {
        migrations = { applied: [], pending: [], error: (err as Error).message } as MigrationStatus;
      }
    }
    return {
      id: runtime.id,
      name: d?.name ?? runtime.id,
      version: d?.version ?? runtime.record.version,
      description: descriptor.description ?? null,
      author: descriptor.author ?? null,
      legacy: d?.legacy ?? false,
      source: d?.source ?? null,
      state: runtime.state,
      ...this.host.errors.viewOf(runtime.id, this.host.activator.cells.has(runtime.id)),
      enabled: runtime.record.enabled,
      everEnabled: runtime.record.everEnabled,
      error: runtime.error ? { code: runtime.error.code, message: runtime.error.message, hint: runtime.error.hint ?? null } : null,
      backend: !!d?.backendEntry,
      frontend: !!d?.manifestPath,
      frontendError: frontendErrorOf(runtime),
      dependsOn: descriptor.dependsOn ?? {},
      conflictsWith: descriptor.conflictsWith ?? [],
      settingsSchema: descriptor.settings ?? [],
      settings: this.maskedSettings(runtime),
      actions: descriptor.actions ?? [],
      routes: runtime.state === 'active' ? (runtime.backend?.routes ?? []) : [],
      tasks: this.host.activator.cells.get(runtime.id)?.tasks() ?? [],
      entities: runtime.backend?.entities.map((e) => e.table) ?? [],
      migrations,
      metrics: this.host.metrics.summary(runtime.id),
      logs: { level: this.host.logLevelOf(runtime.id), lines: this.host.pluginLogs.last(runtime.id, RECENT_LOG_LINES) },
    };
  }

  private maskedSettings(runtime: PluginRuntime): Record<string, unknown> {
    if (!runtime.discovered) return {};
    return maskSecrets(runtime.discovered.descriptor.settings ?? [], this.host.readSettings(runtime.id));
  }

  /** The SPA's list: active plugins with a valid frontend manifest, their entry and CSS. */
  frontends() {
    return listFrontends(this.host.runtimes.values());
  }
}
