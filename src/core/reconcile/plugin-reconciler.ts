import type { HostDatabase } from '../../database/host-database';
import { PluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import { HOST_API_VERSION } from '../../config/host-version';
import type { PluginActivation } from '../activation/plugin-activation';
import { type ActivationContext } from '../activation/application-parts';
import { resolvePlugins, type ResolverInput } from './plugin-resolver';
import { reloadChanged } from './reload-changed';
import { startMissing } from './start-missing';
import type { PluginQuarantine } from './plugin-quarantine';
import type { PluginState } from '../registry/plugin-state';
import type { PluginRegistry } from '../registry/plugin-registry';

const INCOMPATIBLE = ['PLG_HOST_INCOMPATIBLE', 'PLG_DEPENDENCY_VERSION', 'PLG_DEPENDENCY_MISSING'];

export interface ReconcilerDeps {
  db: HostDatabase;
  loader: PluginLoader;
  migrator: PluginMigrator;
  logger: HostLogger;
  activationContext: ActivationContext;
  drainTimeoutMs: number;
  quarantine: PluginQuarantine;
  /** Safe mode: no plugin starts; an enabled one stays `enabled`. */
  safeMode?: boolean;
}

/** What the steps of a reconcile work on: the registry, the running activations and the reconciler's parts. */
export interface ReconcileContext {
  registry: PluginRegistry;
  activations: Map<string, PluginActivation>;
  deps: ReconcilerDeps;
}

export interface ActivationResult {
  started: string[];
  stopped: string[];
}

/**
 * Brings the running plugins in line with the stored flags: decides the set that can run (host
 * range, dependencies, conflicts), stops the activations that must go (dependents first), then loads,
 * migrates and starts the missing ones in dependency order. A plugin that fails at any step is
 * marked failed and the rest go on without it; activations that do not change are never touched.
 */
export class PluginReconciler {
  /** Running plugins by id. The HTTP server routes /api/plugins/<id>/ here. */
  readonly activations = new Map<string, PluginActivation>();

  constructor(
    private readonly registry: PluginRegistry,
    private readonly deps: ReconcilerDeps,
  ) {}

  /** What the steps of a reconcile (reload-changed.ts, start-missing.ts) work on. */
  private get context(): ReconcileContext {
    return { registry: this.registry, activations: this.activations, deps: this.deps };
  }

  resolverInputs(): ResolverInput[] {
    return this.registry
      .all()
      .filter((r) => r.discovered && !r.discovered.error)
      .map((r) => ({ id: r.id, version: r.discovered!.version, descriptor: r.discovered!.descriptor, enabled: r.record.enabled }));
  }

  /** Forgets the start failures of `ids`: an operator's enable tries them again. */
  retry(ids: string[]): void {
    for (const id of ids) this.registry.setStartFailure(id, undefined);
  }

  /** One pass: reload changed plugins blue/green, stop what must stop, start what is missing (again while one newly fails), then settle every state. */
  async reconcile(): Promise<ActivationResult> {
    const failures = new Map<string, PluginError>();
    for (const entry of this.registry.all()) {
      const failed = entry.startFailure;
      if (failed && entry.record.enabled && failed.fingerprint === entry.fingerprint) failures.set(entry.id, failed.error);
    }
    const result: ActivationResult = { started: [], stopped: [] };
    for (;;) {
      const inputs = this.resolverInputs().map((p) => ({ ...p, enabled: p.enabled && !failures.has(p.id) && !this.deps.safeMode }));
      const { order, refused } = resolvePlugins(inputs, HOST_API_VERSION);
      result.started.push(...(await reloadChanged(this.context, order)));
      result.stopped.push(...(await this.stopStale(order)));
      const failed = await startMissing(this.context, order, failures, result.started);
      if (failed) continue;
      await this.settleStates(order, refused, failures);
      return result;
    }
  }

  /** Stops every activation that is not wanted, runs old code, or depends on an activation that changed; dependents first. */
  private async stopStale(order: string[]): Promise<string[]> {
    const keep = new Set<string>();
    for (const id of order) {
      const activation = this.activations.get(id);
      const entry = this.registry.get(id);
      if (!activation || !entry) continue;
      const current = entry.backend === activation.backend && entry.loadedFingerprint === entry.fingerprint;
      const depsCurrent = [...activation.dependencies].every(([dep, depActivation]) => keep.has(dep) && this.activations.get(dep) === depActivation);
      if (current && depsCurrent) keep.add(id);
    }
    const stopping = [...this.activations.keys()].filter((id) => !keep.has(id)).reverse();
    await this.stopActivations(stopping);
    return stopping;
  }

  /** Stops the activations of `ids` in that order, then drops their entities in one metadata rebuild. */
  private async stopActivations(ids: string[]): Promise<void> {
    const stopped: string[] = [];
    for (const id of ids) {
      const activation = this.activations.get(id);
      if (!activation) continue;
      this.activations.delete(id);
      this.deps.activationContext.extensions.remove(id);
      await activation.stop(this.deps.drainTimeoutMs, this.deps.logger);
      stopped.push(id);
      this.deps.logger.info(`Plugin '${id}' stopped`);
    }
    await this.deps.db.dataSource.setPluginEntities(new Map(stopped.map((id) => [id, []])));
  }

  private async settleStates(order: string[], refused: Map<string, PluginError>, failures: Map<string, PluginError>): Promise<void> {
    for (const entry of this.registry.all()) {
      let state: PluginState;
      let error: PluginError | undefined;
      if (!entry.discovered) state = 'missing';
      else if (entry.discovered.error) [state, error] = ['invalid', entry.discovered.error];
      else if (!entry.record.enabled) {
        [state, error] = [entry.record.everEnabled ? 'disabled' : 'installed', this.deps.quarantine.errorOf(entry.id)];
        this.registry.setStartFailure(entry.id, undefined);
      } else if (this.deps.safeMode) state = 'enabled';
      else if (failures.has(entry.id)) [state, error] = ['failed', failures.get(entry.id)];
      else if (refused.has(entry.id)) {
        error = refused.get(entry.id)!;
        state = INCOMPATIBLE.includes(error.code) ? 'incompatible' : 'failed';
      } else state = order.includes(entry.id) ? 'active' : 'failed';
      if (state === 'active' && entry.reloadError) error = entry.reloadError;
      if ((await this.registry.settle(entry.id, state, error)) && error) this.deps.logger.warn(`${error.code}: ${error.message}`);
    }
  }

  /** Delivers an event to every active plugin; a failing handler is logged and skipped. */
  async emit(event: string, payload: unknown): Promise<void> {
    // Plugins sharing an application share its event bus: deliver once per application.
    const byApp = new Map([...this.activations.values()].map((activation) => [activation.app, activation] as const));
    await Promise.all([...byApp.values()].map((activation) => activation.emit(event, payload, this.deps.logger)));
  }

  /** The running instances exported by the root module of an active plugin (usePluginModule). */
  exportsOf(pluginId: string): { provide: unknown; useValue: unknown }[] {
    const activation = this.activations.get(pluginId);
    if (!activation) {
      throw new PluginError('PLG_DEPENDENCY_MISSING', `usePluginModule('${pluginId}'): plugin '${pluginId}' is not active.`, {
        hint: `List '${pluginId}' in "dependsOn" so it is enabled and started first.`,
      });
    }
    const exported = (Reflect.getMetadata('exports', activation.backend.moduleClass) as unknown[] | undefined) ?? [];
    return exported
      .filter((token) => !(typeof token === 'function' && Reflect.getMetadata('providers', token) !== undefined) && typeof token !== 'object')
      .map((token) => ({ provide: token, useValue: activation.app.get(token as string, { strict: false }) }));
  }

  /** Stops every activation, dependents first. */
  async stopAll(): Promise<void> {
    await this.stopActivations([...this.activations.keys()].reverse());
  }
}
