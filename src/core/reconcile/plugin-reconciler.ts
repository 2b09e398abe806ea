import type { HostDatabase } from '../../database/host-database';
import { HOST_ENTITIES } from '../../database/host-entities';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { PluginLoader } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import type { PluginMigrator } from '../../migrate/plugin-migrator';
import { registerOwnedClasses } from '../../loader/class-owners';
import { HOST_API_VERSION } from '../../config/host-version';
import type { PluginCell } from '../activation/plugin-activation';
import { canShareApplication, contributeExtensions, startPluginCell, startSharedCells, type CellContext } from '../activation/start-activation';
import { resolvePlugins, type ResolverInput } from './plugin-resolver';
import type { PluginQuarantine } from './plugin-quarantine';
import type { PluginRuntime } from '../registry/plugin-entry';
import type { PluginState } from '../registry/plugin-state';
import type { PluginStore } from '../registry/plugin-store';

const INCOMPATIBLE = ['PLG_HOST_INCOMPATIBLE', 'PLG_DEPENDENCY_VERSION', 'PLG_DEPENDENCY_MISSING'];

export interface ActivationResult {
  started: string[];
  stopped: string[];
}

/**
 * Brings the running plugins in line with the stored flags: decides the set that can run (host
 * range, dependencies, conflicts), stops the cells that must go (dependents first), then loads,
 * migrates and starts the missing ones in dependency order. A plugin that fails at any step is
 * marked failed and the rest go on without it; cells that do not change are never touched.
 */
export class PluginActivator {
  /** Running plugins by id. The HTTP server routes /api/plugins/<id>/ here. */
  readonly cells = new Map<string, PluginCell>();

  constructor(
    private readonly runtimes: Map<string, PluginRuntime>,
    private readonly deps: {
      db: HostDatabase;
      store: PluginStore;
      loader: PluginLoader;
      migrator: PluginMigrator;
      logger: HostLogger;
      cellContext: CellContext;
      drainTimeoutMs: number;
      quarantine: PluginQuarantine;
      /** Safe mode: no plugin starts; an enabled one stays `enabled`. */
      safeMode?: boolean;
    },
  ) {}

  resolverInputs(): ResolverInput[] {
    return [...this.runtimes.values()]
      .filter((r) => r.discovered && !r.discovered.error)
      .map((r) => ({ id: r.id, version: r.discovered!.version, descriptor: r.discovered!.descriptor, enabled: r.record.enabled }));
  }

  /** Forgets the start failures of `ids`: an operator's enable tries them again. */
  retry(ids: string[]): void {
    for (const id of ids) {
      const runtime = this.runtimes.get(id);
      if (runtime) runtime.startFailure = undefined;
    }
  }

  async apply(): Promise<ActivationResult> {
    const failures = new Map<string, PluginError>();
    for (const runtime of this.runtimes.values()) {
      const failed = runtime.startFailure;
      if (failed && runtime.record.enabled && failed.fingerprint === runtime.fingerprint) failures.set(runtime.id, failed.error);
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
      const old = this.cells.get(id);
      const runtime = this.runtimes.get(id)!;
      if (!old || runtime.loadedFingerprint === runtime.fingerprint || !runtime.discovered?.backendEntry) continue;
      const began = Date.now();
      try {
        await this.deps.quarantine.attempt([id], () => this.prepare(runtime, this.tableOwners(id)));
        const oldEntities = old.backend.entities.map((e) => e.target);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, [...oldEntities, ...runtime.backend!.entities.map((e) => e.target)]]]));
        this.deps.cellContext.extensions.remove(id);
        const next = await this.deps.quarantine.attempt([id], () => startPluginCell(this.deps.cellContext, id, runtime.backend!, old.dependencies));
        this.cells.set(id, next);
        await old.stop(this.deps.drainTimeoutMs, this.deps.logger);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, runtime.backend!.entities.map((e) => e.target)]]));
        runtime.reloadError = undefined;
        replaced.push(id);
        this.deps.logger.info(`Plugin '${id}' reloaded in ${Date.now() - began} ms`);
      } catch (err) {
        runtime.backend = old.backend;
        runtime.loadedFingerprint = runtime.fingerprint;
        contributeExtensions(this.deps.cellContext.extensions, id, old.app, old.backend.modules);
        await this.deps.db.dataSource.setPluginEntities(new Map([[id, old.backend.entities.map((e) => e.target)]]));
        runtime.reloadError = toPluginError(err, 'PLG_START_FAILED', id, 'could not reload');
        this.deps.logger.error(`${runtime.reloadError.code}: ${runtime.reloadError.message} (the previous version keeps serving)`);
      }
    }
    return replaced;
  }

  /** Stops every cell that is not wanted, runs old code, or depends on a cell that changed; dependents first. */
  private async stopStale(order: string[]): Promise<string[]> {
    const keep = new Set<string>();
    for (const id of order) {
      const cell = this.cells.get(id);
      const runtime = this.runtimes.get(id);
      if (!cell || !runtime) continue;
      const current = runtime.backend === cell.backend && runtime.loadedFingerprint === runtime.fingerprint;
      const depsCurrent = [...cell.dependencies].every(([dep, depCell]) => keep.has(dep) && this.cells.get(dep) === depCell);
      if (current && depsCurrent) keep.add(id);
    }
    const stopping = [...this.cells.keys()].filter((id) => !keep.has(id)).reverse();
    await this.stopCells(stopping);
    return stopping;
  }

  /** Stops the cells of `ids` in that order, then drops their entities in one metadata rebuild. */
  private async stopCells(ids: string[]): Promise<void> {
    const stopped: string[] = [];
    for (const id of ids) {
      const cell = this.cells.get(id);
      if (!cell) continue;
      this.cells.delete(id);
      this.deps.cellContext.extensions.remove(id);
      await cell.stop(this.deps.drainTimeoutMs, this.deps.logger);
      stopped.push(id);
      this.deps.logger.info(`Plugin '${id}' stopped`);
    }
    await this.deps.db.dataSource.setPluginEntities(new Map(stopped.map((id) => [id, []])));
  }

  /**
   * Starts the plugins of `order` that have no cell; returns true when one newly failed. All of
   * them are loaded and migrated first, so the shared DataSource rebuilds its metadata once.
   */
  private async startMissing(order: string[], failures: Map<string, PluginError>, started: string[]): Promise<boolean> {
    const batch = order.filter((id) => !this.cells.has(id) && this.runtimes.get(id)!.discovered?.backendEntry);
    if (batch.length === 0) return false;
    const tables = this.tableOwners();
    const ledger = await this.deps.migrator.appliedByPlugin();
    await this.deps.loader.precompile(batch.map((id) => this.runtimes.get(id)!).filter(needsLoading).map((runtime) => runtime.discovered!));
    const migrated = new Map<string, number>();
    for (const id of batch) {
      try {
        migrated.set(id, await this.deps.quarantine.attempt([id], () => this.prepare(this.runtimes.get(id)!, tables, ledger)));
      } catch (err) {
        this.failed(id, err, failures);
        return true;
      }
    }
    await this.deps.db.dataSource.setPluginEntities(new Map(batch.map((id) => [id, this.runtimes.get(id)!.backend!.entities.map((e) => e.target)])));
    const report = (id: string, ms: number): void => {
      const b = this.runtimes.get(id)!.backend!;
      this.deps.logger.info(
        `Plugin '${id}' active in ${ms} ms: ${b.routes.length} route(s), ${b.entities.length} entit${b.entities.length === 1 ? 'y' : 'ies'}, ${migrated.get(id)} migration(s) applied, ${this.cells.get(id)!.tasks().length} task(s)`,
      );
    };
    const shareable = batch.filter((id) => this.canShare(id));
    for (let from = 0; from + 1 < shareable.length; from += SHARED_APPLICATION_SIZE) {
      const together = shareable.slice(from, from + SHARED_APPLICATION_SIZE);
      const began = Date.now();
      try {
        const { cells, failures: failed } = await this.deps.quarantine.attempt(together, () =>
          startSharedCells(this.deps.cellContext, together.map((pluginId) => ({ pluginId, backend: this.runtimes.get(pluginId)!.backend! }))),
        );
        for (const cell of cells) {
          this.cells.set(cell.pluginId, cell);
          started.push(cell.pluginId);
          report(cell.pluginId, Date.now() - began);
        }
        if (failed.size) {
          await this.deps.db.dataSource.setPluginEntities(new Map([...failed.keys()].map((id) => [id, []])));
          for (const [id, err] of failed) this.failed(id, err, failures);
          return true;
        }
      } catch (err) {
        this.deps.logger.info(`${together.length} plugins could not start together (${(err as Error).message}); starting them one by one.`);
      }
    }
    for (const [index, id] of batch.entries()) {
      if (this.cells.has(id)) continue;
      const runtime = this.runtimes.get(id)!;
      const began = Date.now();
      try {
        const dependencies = new Map(Object.keys(runtime.discovered!.descriptor.dependsOn ?? {}).map((dep) => [dep, this.cells.get(dep)!] as const).filter(([, c]) => !!c));
        this.cells.set(id, await this.deps.quarantine.attempt([id], () => startPluginCell(this.deps.cellContext, id, runtime.backend!, dependencies)));
      } catch (err) {
        await this.deps.db.dataSource.setPluginEntities(new Map(batch.slice(index).filter((rest) => !this.cells.has(rest)).map((rest) => [rest, []])));
        this.failed(id, err, failures);
        return true;
      }
      started.push(id);
      report(id, Date.now() - began);
    }
    return false;
  }

  /** Records a start failure for this apply() and, against the plugin's files, for later ones. */
  private failed(id: string, err: unknown, failures: Map<string, PluginError>): void {
    const error = toPluginError(err, 'PLG_START_FAILED', id, 'failed to start');
    failures.set(id, error);
    const runtime = this.runtimes.get(id)!;
    runtime.startFailure = { fingerprint: runtime.fingerprint, error };
  }

  /**
   * A plugin may start in an application shared with the others of its batch when it neither
   * depends on a plugin nor is depended on (usePluginModule reads a dependency's own application),
   * and nothing of it reaches app-wide (canShareApplication).
   */
  private canShare(id: string): boolean {
    const runtime = this.runtimes.get(id)!;
    if (this.deps.quarantine.isSuspect(id)) return false;
    if (Object.keys(runtime.discovered!.descriptor.dependsOn ?? {}).length > 0) return false;
    for (const other of this.runtimes.values()) if (other.discovered?.descriptor.dependsOn?.[id] !== undefined) return false;
    return canShareApplication(runtime.backend!);
  }

  /** Which plugin (or the host) owns each table, among what runs now. */
  private tableOwners(except?: string): Map<string, string> {
    const owners = new Map<string, string>(HOST_ENTITIES.map((e) => [this.deps.db.dataSource.getMetadata(e).tableName, 'the host']));
    for (const [id, cell] of this.cells) if (id !== except) for (const { table } of cell.backend.entities) owners.set(table, id);
    return owners;
  }

  /**
   * Loads the plugin's code when it is new or changed, claims its tables in `tables`, and applies
   * its pending migrations (the migration lock is taken only when the ledger shows some).
   */
  private async prepare(runtime: PluginRuntime, tables: Map<string, string>, ledger?: Map<string, Map<string, string>>): Promise<number> {
    const plugin = runtime.discovered!;
    if (!runtime.backend || needsLoading(runtime)) {
      runtime.backend = this.deps.loader.loadBackend(plugin);
      runtime.loadedFingerprint = runtime.fingerprint;
      registerOwnedClasses(plugin.id, runtime.backend.code.ownClasses);
    }
    const prefix = plugin.id.replace(/-/g, '_');
    for (const { table } of runtime.backend.entities) {
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
    for (const { table } of runtime.backend.entities) tables.set(table, plugin.id);
    if (runtime.migratedFingerprint === runtime.fingerprint) return 0;
    const applied = await this.deps.migrator.migrate(plugin, runtime.backend.code, ledger?.get(plugin.id) ?? (ledger ? new Map<string, string>() : undefined));
    runtime.migratedFingerprint = runtime.fingerprint;
    return applied.length;
  }

  private async settleStates(order: string[], refused: Map<string, PluginError>, failures: Map<string, PluginError>): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      let state: PluginState;
      let error: PluginError | undefined;
      if (!runtime.discovered) state = 'missing';
      else if (runtime.discovered.error) [state, error] = ['invalid', runtime.discovered.error];
      else if (!runtime.record.enabled) {
        [state, error] = [runtime.record.everEnabled ? 'disabled' : 'installed', this.deps.quarantine.errorOf(runtime.id)];
        runtime.startFailure = undefined;
      }
      else if (this.deps.safeMode) state = 'enabled';
      else if (failures.has(runtime.id)) [state, error] = ['failed', failures.get(runtime.id)];
      else if (refused.has(runtime.id)) {
        error = refused.get(runtime.id)!;
        state = INCOMPATIBLE.includes(error.code) ? 'incompatible' : 'failed';
      } else state = order.includes(runtime.id) ? 'active' : 'failed';
      if (state === 'active' && runtime.reloadError) error = runtime.reloadError;
      if ((runtime.state !== state || runtime.error?.message !== error?.message) && error) this.deps.logger.warn(`${error.code}: ${error.message}`);
      runtime.state = state;
      runtime.error = error;
      const stored = error ? { code: error.code, message: error.message } : null;
      if (runtime.record.state !== state || (runtime.record.error?.message ?? null) !== (stored?.message ?? null)) {
        await this.deps.store.setState(runtime.id, state, stored);
        runtime.record.state = state;
        runtime.record.error = stored;
      }
    }
  }

  /** Delivers an event to every active plugin; a failing handler is logged and skipped. */
  async emit(event: string, payload: unknown): Promise<void> {
    // Plugins sharing an application share its event bus: deliver once per application.
    const byApp = new Map([...this.cells.values()].map((cell) => [cell.app, cell] as const));
    await Promise.all([...byApp.values()].map((cell) => cell.emit(event, payload, this.deps.logger)));
  }

  /** The running instances exported by the root module of an active plugin (usePluginModule). */
  exportsOf(pluginId: string): { provide: unknown; useValue: unknown }[] {
    const cell = this.cells.get(pluginId);
    if (!cell) {
      throw new PluginError('PLG_DEPENDENCY_MISSING', `usePluginModule('${pluginId}'): plugin '${pluginId}' is not active.`, {
        hint: `List '${pluginId}' in "dependsOn" so it is enabled and started first.`,
      });
    }
    const exported = (Reflect.getMetadata('exports', cell.backend.moduleClass) as unknown[] | undefined) ?? [];
    return exported
      .filter((token) => !(typeof token === 'function' && Reflect.getMetadata('providers', token) !== undefined) && typeof token !== 'object')
      .map((token) => ({ provide: token, useValue: cell.app.get(token as string, { strict: false }) }));
  }

  /** Stops every cell, dependents first. */
  async stopAll(): Promise<void> {
    await this.stopCells([...this.cells.keys()].reverse());
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
function needsLoading(runtime: PluginRuntime): boolean {
  return !runtime.backend || runtime.loadedFingerprint !== runtime.fingerprint;
}
