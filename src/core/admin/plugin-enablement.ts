import { performance } from 'node:perf_hooks';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import { HOST_EVENTS } from '../../sdk/host-events';
import { planDisable, planEnable } from '../reconcile/enable-plan';
import type { PluginQuarantine } from '../reconcile/plugin-quarantine';
import type { PluginReconciler } from '../reconcile/plugin-reconciler';
import type { PluginEntry } from '../registry/plugin-entry';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { PluginMetrics } from '../telemetry/plugin-metrics';
import type { Actor, AuditLog } from './audit-log';

interface EnablementDeps {
  pluginsDir: string;
  safeMode: boolean;
  registry: PluginRegistry;
  reconciler: PluginReconciler;
  quarantine: PluginQuarantine;
  audit: AuditLog;
  metrics: PluginMetrics;
  /** Tells the other instances (the caller holds the change lock). */
  announce: (kind: string, pluginId: string) => Promise<void>;
}

/** The operator's flag: enable (with the plugins it depends on) and disable (with the plugins that depend on it), live. */
export class PluginEnablement {
  constructor(private readonly deps: EnablementDeps) {}

  /** Sets the flag of `id` and what goes with it, then reconciles; the caller holds the change lock. */
  async change(id: string, enabled: boolean, options: Actor & { acceptRisk?: boolean }): Promise<PluginEntry> {
    const { registry, reconciler, audit, metrics } = this.deps;
    const action = enabled ? 'enable' : 'disable';
    const began = performance.now();
    try {
      const targets = enabled ? this.enableSet(id, options.acceptRisk === true) : this.disableSet(id);
      if (enabled) reconciler.retry([id, ...targets]);
      for (const target of targets) {
        if (enabled) this.deps.quarantine.remove(target);
        await registry.setFlags(target, enabled ? { enabled: true, everEnabled: true } : { enabled: false });
      }
      if (targets.length) await this.deps.announce(action, id);
      const { started, stopped } = await reconciler.reconcile();
      const plugin = registry.require(id);
      if (enabled && !this.deps.safeMode && plugin.state !== 'active') throw plugin.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' is enabled but ${plugin.state}.`, { pluginId: id });
      await audit.record({ ...options, action, pluginId: id, outcome: 'ok', detail: { changed: targets } });
      metrics.operation(id, action, 'ok', (performance.now() - began) / 1000);
      for (const target of targets) {
        if (enabled && registry.require(target).state === 'active') await reconciler.emit(HOST_EVENTS.pluginEnabled, { pluginId: target, restarted: stopped.filter((s) => started.includes(s)) });
        if (!enabled) await reconciler.emit(HOST_EVENTS.pluginDisabled, { pluginId: target });
      }
      return plugin;
    } catch (err) {
      const error = toPluginError(err, 'PLG_INTERNAL', id, `could not be ${action}d`);
      const outcome = error.status < 500 ? 'refused' : 'failed';
      await audit.record({ ...options, action, pluginId: id, outcome, detail: { code: error.code } });
      if (registry.has(id)) metrics.operation(id, action, outcome, (performance.now() - began) / 1000);
      throw error;
    }
  }

  /** The ids an enable of `id` sets: its disabled dependencies and itself (refusals: trust, conflicts, versions). */
  enableSet(id: string, acceptRisk: boolean): string[] {
    const { registry, reconciler } = this.deps;
    return planEnable(id, acceptRisk, { entry: (t) => registry.require(t), inputs: reconciler.resolverInputs(), pluginsDir: this.deps.pluginsDir });
  }

  /** The ids a disable of `id` clears: its enabled dependents and itself. */
  disableSet(id: string): string[] {
    const { registry, reconciler } = this.deps;
    registry.require(id);
    return planDisable(id, { entry: (t) => registry.require(t), inputs: reconciler.resolverInputs() });
  }
}
