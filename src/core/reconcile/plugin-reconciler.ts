import type { HostDatabase } from '../../database/host-database';
import { HOST_ENTITIES } from '../../database/host-entities';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import { registerOwnedClasses } from '../../loader/class-owners';
import { HOST_API_VERSION } from '../../config/host-version';
import type { PluginActivation } from '../activation/plugin-activation';
import { canShareApplication, contributeExtensions, startActivation, startSharedActivations, type ActivationContext } from '../activation/start-activation';
import { resolvePlugins, type ResolverInput } from './plugin-resolver';
import type { PluginQuarantine } from './plugin-quarantine';
import type { PluginEntry } from '../registry/plugin-entry';
import type { PluginState } from '../registry/plugin-state';
import type { PluginRegistry } from '../registry/plugin-registry';

const INCOMPATIBLE = ['PLG_HOST_INCOMPATIBLE', 'PLG_DEPENDENCY_VERSION', 'PLG_DEPENDENCY_MISSING'];

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
    private readonly deps: {
      db: HostDatabase;
      loader: PluginLoader;
      migrator: PluginMigrator;
      logger: HostLogger;
      activationContext: ActivationContext;
      drainTimeoutMs: number;
      quarantine: PluginQuarantine;
      /** Safe mode: no plugin starts; an enabled one stays `enabled`. */
      safeMode?: boolean;
    },
  ) {}

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
      result.started.push(...(await this.replaceChanged(order)));
      result.stopped.push(...(await this.stopStale(order)));
      const failed = await this.startMissing(order, failures, result.started);
      if (failed) continue;
      await this.settleStates(order, refused, failures);
      return result;
    }
  }

  /**
   * Blue/green for a running plugin whose files changed: load, migrate and start the new version
   * beside the old one, then route to it and stop the old one. If the new version cannot start,
   * the old one keeps serving and the plugin carries the error.
   */
  private async replaceChanged(order: string[]): Promise<string[]> {
    const replaced: string[] = [];
    for (const id of order) {
      const old = this.activations.get(id);
      const entry = this.registry.get(id)!;
      if (!old || entry.loadedFingerprint === entry.fingerprint || !entry.discovered?.markerFile) continue;
      const began = Date.now();
      try {
        await this.deps.quarantine.attempt([id], () => this.prepare(entry, this.tableOwners(id)));
        const oldEntities = old.backend.entities.map((e) => e.target);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, [...oldEntities, ...entry.backend!.entities.map((e) => e.target)]]]));
        this.deps.activationContext.extensions.remove(id);
        const next = await this.deps.quarantine.attempt([id], () => startActivation(this.deps.activationContext, id, entry.backend!, old.dependencies));
        this.activations.set(id, next);
        await old.stop(this.deps.drainTimeoutMs, this.deps.logger);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, entry.backend!.entities.map((e) => e.target)]]));
        this.registry.setReloadError(id, undefined);
        replaced.push(id);
        this.deps.logger.info(`Plugin '${id}' reloaded in ${Date.now() - began} ms`);
      } catch (err) {
        this.registry.loaded(id, old.backend);
        contributeExtensions(this.deps.activationContext.extensions, id, old.app, old.backend.modules);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, old.backend.entities.map((e) => e.target)]]));
        const error = toPluginError(err, 'PLG_START_FAILED', id, 'could not reload');
        this.registry.setReloadError(id, error);
        this.deps.logger.error(`${error.code}: ${error.message} (the previous version keeps serving)`);
      }
    }
    return replaced;
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
    await this.stopCells(stopping);
    return stopping;
  }

  /** Stops the activations of `ids` in that order, then drops their entities in one metadata rebuild. */
  private async stopCells(ids: string[]): Promise<void> {
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

  /**
   * Starts the plugins of `order` that have no activation; returns true when one newly failed. All of
   * them are loaded and migrated first, so the shared DataSource rebuilds its metadata once.
   */
  private async startMissing(order: string[], failures: Map<string, PluginError>, started: string[]): Promise<boolean> {
    const batch = order.filter((id) => !this.activations.has(id) && this.registry.get(id)!.discovered?.markerFile);
    if (batch.length === 0) return false;
    const tables = this.tableOwners();
    const ledger = await this.deps.migrator.appliedByPlugin();
    await this.deps.loader.precompile(batch.map((id) => this.registry.get(id)!).filter(needsLoading).map((entry) => entry.discovered!));
    const migrated = new Map<string, number>();
    for (const id of batch) {
      try {
        migrated.set(id, await this.deps.quarantine.attempt([id], () => this.prepare(this.registry.get(id)!, tables, ledger)));
      } catch (err) {
        this.failed(id, err, failures);
        return true;
      }
    }
    await this.deps.db.dataSource.setPluginEntities(new Map(batch.map((id) => [id, this.registry.get(id)!.backend!.entities.map((e) => e.target)])));
    const report = (id: string, ms: number): void => {
      const b = this.registry.get(id)!.backend!;
      this.deps.logger.info(
        `Plugin '${id}' active in ${ms} ms: ${b.routes.length} route(s), ${b.entities.length} entit${b.entities.length === 1 ? 'y' : 'ies'}, ${migrated.get(id)} migration(s) applied, ${this.activations.get(id)!.tasks().length} task(s)`,
      );
    };
    const shareable = batch.filter((id) => this.canShare(id));
    for (let from = 0; from + 1 < shareable.length; from += SHARED_APPLICATION_SIZE) {
      const together = shareable.slice(from, from + SHARED_APPLICATION_SIZE);
      const began = Date.now();
      try {
        const { activations, failures: failed } = await this.deps.quarantine.attempt(together, () =>
          startSharedActivations(this.deps.activationContext, together.map((pluginId) => ({ pluginId, backend: this.registry.get(pluginId)!.backend! }))),
        );
        for (const activation of activations) {
          this.deps.quarantine.startSucceeded(activation.pluginId);
          this.activations.set(activation.pluginId, activation);
          started.push(activation.pluginId);
          report(activation.pluginId, Date.now() - began);
        }
        if (failed.size) {
          await this.deps.db.dataSource.setPluginEntities(new Map([...failed.keys()].map((id) => [id, []])));
          for (const [id, err] of failed) this.startFailed(id, err, failures);
          return true;
        }
      } catch (err) {
        this.deps.logger.info(`${together.length} plugins could not start together (${(err as Error).message}); starting them one by one.`);
      }
    }
    for (const [index, id] of batch.entries()) {
      if (this.activations.has(id)) continue;
      const entry = this.registry.get(id)!;
      const began = Date.now();
      try {
        const dependencies = new Map(Object.keys(entry.discovered!.descriptor.dependsOn ?? {}).map((dep) => [dep, this.activations.get(dep)!] as const).filter(([, c]) => !!c));
        this.activations.set(id, await this.deps.quarantine.attempt([id], () => startActivation(this.deps.activationContext, id, entry.backend!, dependencies)));
      } catch (err) {
        await this.deps.db.dataSource.setPluginEntities(new Map(batch.slice(index).filter((rest) => !this.activations.has(rest)).map((rest) => [rest, []])));
        this.startFailed(id, err, failures);
        return true;
      }
      this.deps.quarantine.startSucceeded(id);
      started.push(id);
      report(id, Date.now() - began);
    }
    return false;
  }

  /** A start that threw or timed out: a failure as below, and one more failed start in a row (quarantine). */
  private startFailed(id: string, err: unknown, failures: Map<string, PluginError>): void {
    this.failed(id, err, failures);
    const error = failures.get(id)!;
    if (this.deps.quarantine.startFailed(id, `${error.code}: ${error.message}`)) {
      this.deps.logger.error(`PLG_QUARANTINED: plugin '${id}' failed to start ${this.deps.quarantine.after} times in a row; it is left disabled at the next start.`);
    }
  }

  /** Records a start failure for this apply() and, against the plugin's files, for later ones. */
  private failed(id: string, err: unknown, failures: Map<string, PluginError>): void {
    const error = toPluginError(err, 'PLG_START_FAILED', id, 'failed to start');
    failures.set(id, error);
    this.registry.setStartFailure(id, error);
  }

  /**
   * A plugin may start in an application shared with the others of its batch when it neither
   * depends on a plugin nor is depended on (usePluginModule reads a dependency's own application),
   * and nothing of it reaches app-wide (canShareApplication).
   */
  private canShare(id: string): boolean {
    const entry = this.registry.get(id)!;
    if (this.deps.quarantine.isSuspect(id)) return false;
    if (Object.keys(entry.discovered!.descriptor.dependsOn ?? {}).length > 0) return false;
    for (const other of this.registry.all()) if (other.discovered?.descriptor.dependsOn?.[id] !== undefined) return false;
    return canShareApplication(entry.backend!);
  }

  /** Which plugin (or the host) owns each table, among what runs now. */
  private tableOwners(except?: string): Map<string, string> {
    const owners = new Map<string, string>(HOST_ENTITIES.map((e) => [this.deps.db.dataSource.getMetadata(e).tableName, 'the host']));
    for (const [id, activation] of this.activations) if (id !== except) for (const { table } of activation.backend.entities) owners.set(table, id);
    return owners;
  }

  /**
   * Loads the plugin's code when it is new or changed, claims its tables in `tables`, and applies
   * its pending migrations (the migration lock is taken only when the ledger shows some).
   */
  private async prepare(entry: PluginEntry, tables: Map<string, string>, ledger?: Map<string, Map<string, string>>): Promise<number> {
    const plugin = entry.discovered!;
    if (!entry.backend || needsLoading(entry)) {
      this.registry.loaded(plugin.id, this.deps.loader.loadBackend(plugin));
      registerOwnedClasses(plugin.id, entry.backend!.code.ownClasses);
    }
    const prefix = plugin.id.replace(/-/g, '_');
    const backend = entry.backend!;
    for (const { table } of backend.entities) {
      const owner = tables.get(table);
      if (owner && owner !== plugin.id) {
        const ownerName = owner === 'the host' ? 'the host' : `plugin '${owner}'`;
        throw new PluginError('PLG_TABLE_CONFLICT', `Plugin '${plugin.id}' declares table '${table}', which ${ownerName} already owns.`, {
          pluginId: plugin.id,
          hint: `Rename the entity's table, prefixed with the plugin id (e.g. '${prefix}_${table}').`,
          details: { table, owner },
        });
      }
      if (!table.startsWith(prefix)) this.deps.logger.debug(`Plugin '${plugin.id}': table '${table}' is not prefixed with the plugin id.`);
    }
    for (const { table } of backend.entities) tables.set(table, plugin.id);
    if (entry.migratedFingerprint === entry.fingerprint) return 0;
    const applied = await this.deps.migrator.migrate(plugin, backend.code, ledger?.get(plugin.id) ?? (ledger ? new Map<string, string>() : undefined));
    this.registry.migrated(plugin.id);
    return applied.length;
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
      }
      else if (this.deps.safeMode) state = 'enabled';
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
    await this.stopCells([...this.activations.keys()].reverse());
  }
}

/**
 * At most this many plugins share one application. Each application costs 30 to 50 ms to start
 * (Nest's own modules, the scheduler, the router); a request's route lookup does not grow with the
 * size (PluginRoutesAdapter); a smaller one lets an application holding plugins that were stopped
 * close sooner.
 */
const SHARED_APPLICATION_SIZE = 100;

/** The plugin's code is not loaded yet, or its folder changed since. */
function needsLoading(entry: PluginEntry): boolean {
  return !entry.backend || entry.loadedFingerprint !== entry.fingerprint;
}
