import type { INestApplication } from '@nestjs/common';
import type { PluginActivation } from '../activation/plugin-activation';
import { methodsOf, pluginInstances } from '../activation/plugin-instances';
import type { PluginEntry } from '../registry/plugin-entry';
import type { EnterScope } from '../activation/plugin-scope';
import { withTimeout } from '../activation/timeout';
import { HEALTH_CHECK_METADATA, type HealthCheckResult, type HealthStatus } from '../../sdk/health-check.decorator';

/** A plugin in the health report: `disabled` when the operator has not enabled it. */
export interface PluginHealth {
  id: string;
  state: string;
  error?: string;
  status: HealthStatus | 'disabled';
  reason?: string;
}

export interface PluginHealthSource {
  entries(): Iterable<PluginEntry>;
  activation(pluginId: string): PluginActivation | undefined;
  /** Set by the unhandled-error count: the plugin keeps leaving errors uncaught. */
  degraded(pluginId: string): boolean;
  enter(pluginId: string): EnterScope;
}

/**
 * Each plugin's health: not running although enabled is `failed`; running, its own
 * `@HealthCheck()` decides (within its timeout), then too many unhandled errors make it
 * `degraded`, and so does a dependency that is `failed`.
 */
export async function checkPluginHealth(source: PluginHealthSource): Promise<PluginHealth[]> {
  const entries = [...source.entries()].sort((a, b) => a.id.localeCompare(b.id));
  const own = await Promise.all(entries.map((entry) => ownHealth(entry, source)));
  const byId = new Map(own.map((health) => [health.id, health]));
  return own.map((health, i) => {
    if (health.status !== 'ok') return health;
    const failed = Object.keys(entries[i].discovered?.descriptor.dependsOn ?? {}).find((dep) => byId.get(dep)?.status === 'failed');
    return failed === undefined ? health : { ...health, status: 'degraded', reason: `Its dependency '${failed}' is failed: ${byId.get(failed)?.reason ?? 'no reason given'}` };
  });
}

async function ownHealth(entry: PluginEntry, source: PluginHealthSource): Promise<PluginHealth> {
  const base = { id: entry.id, state: entry.state, ...(entry.error ? { error: entry.error.code } : {}) };
  if (!entry.record.enabled) return { ...base, status: 'disabled' };
  if (entry.state !== 'active') {
    const why = entry.state === 'enabled' ? 'not started (the host runs in safe mode)' : entry.state;
    return { ...base, status: 'failed', reason: entry.error?.message ?? `Plugin '${entry.id}' is enabled but ${why}.` };
  }
  const activation = source.activation(entry.id);
  const checked = activation ? await runCheck(activation.app, activation.backend.modules, entry.id, source.enter(entry.id)) : { status: 'ok' as const };
  if (checked.status === 'ok' && source.degraded(entry.id)) {
    return { ...base, status: 'degraded', reason: `Plugin '${entry.id}' keeps leaving errors unhandled; see its unhandledErrors in the admin API.` };
  }
  return { ...base, ...checked };
}

async function runCheck(app: INestApplication, modules: Iterable<Function>, pluginId: string, enter: EnterScope): Promise<HealthCheckResult> {
  for (const instance of pluginInstances(app, modules)) {
    for (const [key, method] of methodsOf(instance)) {
      const options = Reflect.getMetadata(HEALTH_CHECK_METADATA, method) as { timeoutMs: number } | undefined;
      if (!options) continue;
      const label = `${instance.constructor.name}.${key}()`;
      try {
        const answer: unknown = await withTimeout(
          Promise.resolve(enter(() => method.call(instance) as unknown)),
          options.timeoutMs,
          () => new Error(`The health check ${label} of plugin '${pluginId}' did not answer within ${options.timeoutMs} ms.`),
        );
        return resultOf(answer, label, pluginId);
      } catch (err) {
        return { status: 'failed', reason: err instanceof Error ? err.message : String(err) };
      }
    }
  }
  return { status: 'ok' };
}

function resultOf(answer: unknown, label: string, pluginId: string): HealthCheckResult {
  if (answer === undefined || answer === true) return { status: 'ok' };
  if (answer === false) return { status: 'failed', reason: `The health check ${label} of plugin '${pluginId}' answered false.` };
  const result = answer as Partial<HealthCheckResult> | null;
  if (result && (result.status === 'ok' || result.status === 'degraded' || result.status === 'failed')) {
    return result.status === 'ok' ? { status: 'ok' } : { status: result.status, reason: typeof result.reason === 'string' ? result.reason : `The health check ${label} answered ${result.status}.` };
  }
  return { status: 'failed', reason: `The health check ${label} of plugin '${pluginId}' answered neither a boolean nor { status: 'ok' | 'degraded' | 'failed' }.` };
}
