import type { PluginView } from '../../contracts/plugin-view';
import { frontendErrorOf, listFrontends } from '../../frontend/frontend-list';
import type { LogLevel } from '../../logging/host-logger';
import type { MigrationStatus, PluginMigrator } from '../../migrate/plugin-migrator';
import { maskSecrets } from '../../settings/setting-secrets';
import type { PluginActivation } from '../activation/plugin-activation';
import type { PluginEntry } from '../registry/plugin-entry';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { PluginLogBuffer } from '../telemetry/plugin-log-buffer';
import type { PluginMetrics } from '../telemetry/plugin-metrics';
import type { UnhandledErrors } from '../telemetry/unhandled-errors';

export type { PluginView } from '../../contracts/plugin-view';

/** How many of a plugin's last log lines its description carries (GET .../logs has them all). */
const RECENT_LOG_LINES = 20;

/** What the admin API, the CLI and the web app show of the plugins (src/contracts/plugin-view.ts). */
export class PluginViews {
  constructor(
    private readonly deps: {
      registry: PluginRegistry;
      migrator: PluginMigrator;
      activation: (id: string) => PluginActivation | undefined;
      errors: UnhandledErrors;
      metrics: PluginMetrics;
      logs: PluginLogBuffer;
      logLevelOf: (id: string) => LogLevel;
      /** A plugin's settings with defaults. */
      settings: (id: string) => Record<string, unknown>;
      /** The version a rollback of the plugin goes back to, if one is kept. */
      previousVersion: (id: string) => string | null;
    },
  ) {}

  list(): Promise<PluginView[]> {
    return Promise.all(this.deps.registry.sorted().map((r) => this.describe(r)));
  }

  async describe(entry: PluginEntry): Promise<PluginView> {
    const { deps } = this;
    const d = entry.discovered;
    const descriptor = d?.descriptor ?? {};
    let migrations: MigrationStatus = { applied: [], pending: [] };
    if (d) {
      try {
        migrations = await deps.migrator.status(d);
      } catch (err) {
        migrations = { applied: [], pending: [], error: (err as Error).message };
      }
    }
    const activation = deps.activation(entry.id);
    return {
      id: entry.id,
      name: d?.name ?? entry.id,
      version: d?.version ?? entry.record.version,
      description: descriptor.description ?? null,
      author: descriptor.author ?? null,
      legacy: d?.legacy ?? false,
      source: d?.source ?? null,
      state: entry.state,
      ...deps.errors.viewOf(entry.id, !!activation),
      enabled: entry.record.enabled,
      everEnabled: entry.record.everEnabled,
      error: entry.error ? { code: entry.error.code, message: entry.error.message, hint: entry.error.hint ?? null } : null,
      backend: !!d?.markerFile,
      frontend: !!d?.manifestPath,
      frontendError: frontendErrorOf(entry),
      dependsOn: descriptor.dependsOn ?? {},
      conflictsWith: descriptor.conflictsWith ?? [],
      settingsSchema: descriptor.settings ?? [],
      settings: entry.discovered ? maskSecrets(entry.discovered.descriptor.settings ?? [], deps.settings(entry.id)) : {},
      actions: descriptor.actions ?? [],
      routes: entry.state === 'active' ? (entry.backend?.routes ?? []) : [],
      tasks: activation?.tasks() ?? [],
      entities: entry.backend?.entities.map((e) => e.table) ?? [],
      migrations,
      metrics: deps.metrics.summary(entry.id),
      logs: { level: deps.logLevelOf(entry.id), lines: deps.logs.last(entry.id, RECENT_LOG_LINES) },
      previousVersion: deps.previousVersion(entry.id),
      rollback: entry.record.lastRollback ?? null,
    };
  }

  /** The SPA's list: active plugins with a valid frontend manifest, their entry and CSS. */
  frontends() {
    return listFrontends(this.deps.registry.all());
  }
}
