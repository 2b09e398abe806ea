import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { HostConfig } from '../config/host-config';
import { HostDatabase } from '../database/host-database';
import { HOST_ENTITIES } from '../database/host-entities';
import { PluginScanner } from '../discovery/plugin-scanner';
import { PluginError, toPluginError } from '../errors/plugin-error';
import { PluginCompiler } from '../loader/plugin-compiler';
import { PluginLoader } from '../loader/plugin-loader';
import { HostLogger } from '../logging/host-logger';
import { PluginMigrator } from '../migrate/plugin-migrator';
import { HostInfo } from '../sdk/host-info';
import { resolveAdminToken } from './admin-token';
import { AuditLog } from './audit-log';
import { registerOwnedClasses } from './class-owners';
import { Generation } from './generation';
import { buildGeneration, GenerationFailure, type GenerationPlugin } from './generation-builder';
import { HOST_API_VERSION } from './host-version';
import { dependencyClosure, dependentClosure, resolvePlugins, conflicts, type ResolverInput } from './plugin-resolver';
import { fingerprintFolder, type PluginRuntime } from './plugin-runtime';
import type { PluginState } from './plugin-state';
import { PluginStore } from './plugin-store';
import { PluginViews } from './plugin-views';

export interface Actor {
  actor: string;
  ip?: string | null;
}

export interface HostStartOptions {
  /** Where log lines go (default: stdout). */
  logSink?: (line: string) => void;
}

/**
 * The core: owns the process, the HTTP server, the database and the plugin states, and is the one
 * place that decides the next set of active plugins. Each set runs as one Nest application (a
 * generation); a change builds the next one off to the side and swaps it in.
 */
export class AppnestHost {
  readonly logger: HostLogger;
  readonly audit: AuditLog;
  readonly views: PluginViews;
  readonly runtimes = new Map<string, PluginRuntime>();
  private readonly store: PluginStore;
  private readonly loader: PluginLoader;
  private readonly migrator: PluginMigrator;
  private readonly scanner: PluginScanner;
  private readonly server: Server;
  private generation?: Generation;
  private readonly retiring = new Set<Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  private constructor(
    readonly config: HostConfig,
    readonly db: HostDatabase,
    readonly adminToken: string,
    options: HostStartOptions,
  ) {
    this.logger = new HostLogger(config.logLevel, 'appnest', options.logSink);
    this.store = new PluginStore(db.dataSource);
    this.audit = new AuditLog(db.dataSource);
    this.loader = new PluginLoader(new PluginCompiler(config.dataDir));
    this.migrator = new PluginMigrator(db, this.logger.child('migrations'), config.migrationLockTimeoutMs);
    this.scanner = new PluginScanner(config.pluginsDir, config.frontendPluginsDir);
    this.views = new PluginViews(this, this.migrator);
    this.server = createServer((req, res) => {
      if (this.generation) return this.generation.handle(req, res);
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ statusCode: 503, code: 'PLG_INTERNAL', message: 'The host is starting; retry in a moment.' }));
    });
  }

  static async start(config: HostConfig, options: HostStartOptions = {}): Promise<AppnestHost> {
    mkdirSync(config.dataDir, { recursive: true });
    const started = Date.now();
    const token = resolveAdminToken(config.dataDir, config.adminToken);
    const db = await HostDatabase.open(config);
    const host = new AppnestHost(config, db, token.token, options);
    try {
      if (token.generated) host.logger.info(`Admin token (shown once, kept in ${token.file}): ${token.token}`);
      await host.syncWithDisk();
      await host.apply();
      await new Promise<void>((resolve, reject) => {
        host.server.once('error', reject);
        host.server.listen(config.port, resolve);
      });
      writeFileSync(join(config.dataDir, 'host.json'), JSON.stringify({ pid: process.pid, url: host.url }));
      const counts = host.stateCounts();
      host.logger.info(`appnest listening on ${host.url} in ${Date.now() - started} ms (${counts}), database: ${db.kind}`);
      return host;
    } catch (err) {
      await host.stop();
      throw err;
    }
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.config.port}`;
  }

  get currentGeneration(): Generation | undefined {
    return this.generation;
  }

  /** Runs state changes one at a time, in the order asked. */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  runtime(id: string): PluginRuntime {
    const runtime = this.runtimes.get(id);
    if (!runtime) {
      throw new PluginError('PLG_NOT_FOUND', `No plugin '${id}' is installed.`, {
        pluginId: id,
        hint: 'List plugins with GET /api/admin/plugins (or `appnest list`); reload after copying new files.',
      });
    }
    return runtime;
  }

  listPlugins() {
    return this.views.list();
  }

  describePlugin(id: string) {
    return this.views.describe(this.runtime(id));
  }

  health() {
    return this.views.health();
  }

  frontendPlugins() {
    return this.views.frontends();
  }

  /** A plugin's settings with defaults merged (defaults are never written). */
  readSettings(pluginId: string): Record<string, unknown> {
    const runtime = this.runtime(pluginId);
    const defaults = Object.fromEntries((runtime.discovered?.descriptor.settings ?? []).filter((s) => s.default !== undefined).map((s) => [s.id, s.default]));
    return { ...defaults, ...runtime.record.settings };
  }

  /** Enables (with its dependencies) or disables (with its dependents) a plugin, live. */
  setEnabled(id: string, enabled: boolean, options: Actor & { acceptRisk?: boolean }) {
    return this.serialize(async () => {
      const action = enabled ? 'enable' : 'disable';
      try {
        const targets = enabled ? this.checkEnable(id, options.acceptRisk === true) : this.checkDisable(id);
        for (const target of targets) {
          const runtime = this.runtime(target);
          const patch = enabled ? { enabled: true, everEnabled: true } : { enabled: false };
          await this.store.update(target, patch);
          Object.assign(runtime.record, patch);
        }
        await this.apply();
        const runtime = this.runtime(id);
        if (enabled && runtime.state !== 'active') throw runtime.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' is enabled but ${runtime.state}.`, { pluginId: id });
        await this.audit.record({ ...options, action, pluginId: id, outcome: 'ok', detail: { changed: targets } });
        return this.views.describe(runtime);
      } catch (err) {
        const error = toPluginError(err, 'PLG_INTERNAL', id, `could not be ${action}d`);
        await this.audit.record({ ...options, action, pluginId: id, outcome: error.status < 500 ? 'refused' : 'failed', detail: { code: error.code } });
        throw error;
      }
    });
  }

  private checkEnable(id: string, acceptRisk: boolean): string[] {
    const runtime = this.runtime(id);
    if (!runtime.discovered) {
      throw new PluginError('PLG_FILES_MISSING', `Plugin '${id}' cannot be enabled: its files are gone from ${this.config.pluginsDir}.`, {
        pluginId: id,
        hint: 'Put the plugin folder back (or install it again), then reload.',
      });
    }
    if (runtime.discovered.error) throw runtime.discovered.error;
    const inputs = this.resolverInputs();
    const byId = new Map(inputs.map((p) => [p.id, p]));
    const missing = dependencyClosure(id, byId).find((dep) => !byId.has(dep));
    if (missing) {
      throw new PluginError('PLG_DEPENDENCY_MISSING', `Plugin '${id}' depends on '${missing}', which is not installed.`, {
        pluginId: id,
        hint: `Install '${missing}' first.`,
      });
    }
    const targets = [...dependencyClosure(id, byId).reverse(), id].filter((t) => !this.runtime(t).record.enabled);
    const untrusted = targets.filter((t) => !this.runtime(t).record.everEnabled);
    if (untrusted.length && !acceptRisk) {
      throw new PluginError('PLG_TRUST_REQUIRED', `Enabling '${untrusted.join("', '")}' for the first time runs its code with the host's full rights.`, {
        pluginId: id,
        hint: 'Review the plugin, then enable it again with "acceptRisk": true (CLI: --accept-risk).',
        details: { plugins: untrusted },
      });
    }
    for (const target of targets) {
      const clash = inputs.find((other) => other.enabled && other.id !== target && conflicts(byId.get(target)!, other));
      if (clash) {
        throw new PluginError('PLG_CONFLICT', `Plugin '${target}' conflicts with '${clash.id}', which is enabled.`, {
          pluginId: target,
          hint: `Disable '${clash.id}' first.`,
          details: { conflictsWith: clash.id },
        });
      }
    }
    return targets;
  }

  private checkDisable(id: string): string[] {
    this.runtime(id);
    return [...dependentClosure(id, this.resolverInputs()), id].filter((t) => this.runtime(t).record.enabled);
  }

  /** Rescans the folders: new plugins appear disabled, removed ones become missing, changed ones reload. */
  reload(actor: Actor = { actor: 'system' }) {
    return this.serialize(async () => {
      const changes = await this.syncWithDisk();
      await this.apply();
      await this.audit.record({ ...actor, action: 'reload', outcome: 'ok', detail: changes });
      return { ...changes, plugins: await this.views.list() };
    });
  }

  /** Applies pending migrations of one enabled plugin, or of every enabled plugin. */
  migrate(id?: string, actor: Actor = { actor: 'system' }) {
    return this.serialize(async () => {
      const targets = id ? [this.runtime(id)] : [...this.runtimes.values()].filter((r) => r.record.enabled && r.discovered && !r.discovered.error);
      const applied: Record<string, string[]> = {};
      for (const runtime of targets) {
        if (!runtime.record.enabled) {
          throw new PluginError('PLG_DISABLED', `Plugin '${runtime.id}' is disabled; its migrations run when it is enabled.`, {
            pluginId: runtime.id,
            hint: `Enable it (appnest enable ${runtime.id} --accept-risk) to apply its migrations.`,
          });
        }
        const plugin = this.filesOf(runtime);
        applied[runtime.id] = await this.migrator.migrate(plugin, runtime.backend?.code ?? this.loader.codeLoader(plugin));
      }
      await this.audit.record({ ...actor, action: 'migrate', pluginId: id ?? null, outcome: 'ok', detail: { applied } });
      return applied;
    });
  }

  /** Reverts a disabled plugin's migrations, newest first, down to (not including) `to`, or all. */
  revertMigrations(id: string, to?: string, actor: Actor = { actor: 'system' }) {
    return this.serialize(async () => {
      const runtime = this.runtime(id);
      if (runtime.record.enabled) {
        throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' is enabled; disable it before reverting its migrations.`, {
          pluginId: id,
          hint: `appnest disable ${id}, then migrate:revert again.`,
        });
      }
      const plugin = this.filesOf(runtime);
      const reverted = await this.migrator.revert(plugin, this.loader.codeLoader(plugin), to);
      runtime.migratedFingerprint = undefined;
      await this.audit.record({ ...actor, action: 'migrate:revert', pluginId: id, outcome: 'ok', detail: { reverted, to: to ?? null } });
      return { reverted };
    });
  }

  /**
   * Disables a plugin (and its dependents), removes its files from the plugins folder and, with
   * `purge`, reverts its migrations and forgets its record and settings.
   */
  uninstall(id: string, options: Actor & { purge?: boolean }) {
    return this.serialize(async () => {
      const runtime = this.runtime(id);
      for (const target of this.checkDisable(id)) {
        await this.store.update(target, { enabled: false });
        this.runtime(target).record.enabled = false;
      }
      await this.apply();
      let reverted: string[] = [];
      if (options.purge && runtime.discovered?.backendEntry) {
        reverted = await this.migrator.revert(runtime.discovered, this.loader.codeLoader(runtime.discovered));
      }
      if (runtime.discovered) this.removeFiles(runtime.discovered.dir);
      if (options.purge) {
        await this.store.remove(id);
        this.runtimes.delete(id);
      } else {
        this.runtimes.set(id, { id, record: runtime.record, state: 'missing' });
        await this.store.setState(id, 'missing', null);
      }
      await this.audit.record({ ...options, action: 'uninstall', pluginId: id, outcome: 'ok', detail: { purge: !!options.purge, reverted } });
      return { id, purged: !!options.purge, reverted };
    });
  }

  private filesOf(runtime: PluginRuntime) {
    if (!runtime.discovered) {
      throw new PluginError('PLG_FILES_MISSING', `Plugin '${runtime.id}' has no files in ${this.config.pluginsDir}.`, { pluginId: runtime.id, hint: 'Put the plugin folder back, then reload.' });
    }
    return runtime.discovered;
  }

  /** Deletes a plugin folder, refusing anything that is not directly inside a plugins folder. */
  private removeFiles(dir: string): void {
    const parent = resolve(dir, '..');
    if (parent !== resolve(this.config.pluginsDir) && parent !== resolve(this.config.frontendPluginsDir)) {
      throw new PluginError('PLG_INTERNAL', `Refusing to delete ${dir}: it is not a plugin folder of this host.`);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  private resolverInputs(): ResolverInput[] {
    return [...this.runtimes.values()]
      .filter((r) => r.discovered && !r.discovered.error)
      .map((r) => ({ id: r.id, version: r.discovered!.version, descriptor: r.discovered!.descriptor, enabled: r.record.enabled }));
  }

  /** Reads the plugin folders and brings the records and runtimes in line with them. */
  private async syncWithDisk(): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
    const scan = this.scanner.scan();
    for (const { dir, error } of scan.rejected) this.logger.warn(`${error.code}: ${error.message} (${dir})`);
    const added: string[] = [];
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const discovered of scan.plugins) {
      seen.add(discovered.id);
      const record = await this.store.ensure(discovered.id, discovered.version);
      if (record.version !== discovered.version) {
        await this.store.update(discovered.id, { version: discovered.version });
        record.version = discovered.version;
      }
      const fingerprint = fingerprintFolder(discovered.dir);
      const existing = this.runtimes.get(discovered.id);
      if (!existing) added.push(discovered.id);
      else if (existing.fingerprint !== fingerprint || !existing.discovered) changed.push(discovered.id);
      this.runtimes.set(discovered.id, { ...existing, id: discovered.id, discovered, record, fingerprint, state: existing?.state ?? 'installed' });
    }
    const removed: string[] = [];
    for (const record of await this.store.all()) {
      if (seen.has(record.id)) continue;
      const existing = this.runtimes.get(record.id);
      if (existing?.discovered) removed.push(record.id);
      this.runtimes.set(record.id, { id: record.id, record, state: 'missing', backend: undefined });
    }
    return { added, removed, changed };
  }

  /**
   * Works out the next set of active plugins from the stored flags and builds a generation for it:
   * load and migrate each plugin in dependency order, then start them together. A plugin that
   * fails at any step is marked failed and left out; the rest start without it.
   */
  private async apply(): Promise<void> {
    const failures = new Map<string, PluginError>();
    for (;;) {
      const inputs = this.resolverInputs().map((p) => ({ ...p, enabled: p.enabled && !failures.has(p.id) }));
      const { order, refused } = resolvePlugins(inputs, HOST_API_VERSION);
      const failed = await this.prepareAll(order, failures);
      if (failed) continue;
      const set: GenerationPlugin[] = order.map((id) => ({ id, backend: this.runtime(id).backend }));
      if (!this.sameAsCurrent(set)) {
        try {
          await this.swapTo(await this.buildWithin(set));
        } catch (err) {
          const culprit = err instanceof GenerationFailure ? (err.pluginId ?? (await this.isolate(set))) : undefined;
          if (!culprit || !order.includes(culprit)) throw err;
          failures.set(culprit, err instanceof GenerationFailure && err.pluginId ? err.pluginError : toPluginError(err, 'PLG_START_FAILED', culprit, 'failed to start'));
          continue;
        }
      }
      await this.settleStates(order, refused, failures);
      return;
    }
  }

  /** Loads, checks tables and migrates each plugin of `order`; returns true when one newly failed. */
  private async prepareAll(order: string[], failures: Map<string, PluginError>): Promise<boolean> {
    const tables = new Map<string, string>(HOST_ENTITIES.map((e) => [this.db.dataSource.getMetadata(e).tableName, 'the host']));
    for (const id of order) {
      const runtime = this.runtime(id);
      try {
        await this.prepare(runtime, tables);
      } catch (err) {
        failures.set(id, toPluginError(err, 'PLG_START_FAILED', id, 'failed to load'));
        return true;
      }
    }
    return false;
  }

  private async prepare(runtime: PluginRuntime, tables: Map<string, string>): Promise<void> {
    const plugin = runtime.discovered!;
    if (!plugin.backendEntry) return;
    if (!runtime.backend || runtime.loadedFingerprint !== runtime.fingerprint) {
      const started = Date.now();
      runtime.backend = this.loader.loadBackend(plugin);
      runtime.loadedFingerprint = runtime.fingerprint;
      registerOwnedClasses(plugin.id, runtime.backend.code.ownClasses);
      this.logger.debug(`Plugin '${plugin.id}' loaded in ${Date.now() - started} ms`);
    }
    for (const { table } of runtime.backend.entities) {
      const owner = tables.get(table);
      if (owner && owner !== plugin.id) {
        const ownerName = owner === 'the host' ? 'the host' : `plugin '${owner}'`;
        throw new PluginError('PLG_TABLE_CONFLICT', `Plugin '${plugin.id}' declares table '${table}', which ${ownerName} already owns.`, {
          pluginId: plugin.id,
          hint: `Rename the entity's table, prefixed with the plugin id (e.g. '${plugin.id.replace(/-/g, '_')}_${table}').`,
          details: { table, owner },
        });
      }
      tables.set(table, plugin.id);
      if (!table.startsWith(plugin.id.replace(/-/g, '_'))) this.logger.debug(`Plugin '${plugin.id}': table '${table}' is not prefixed with the plugin id.`);
    }
    if (runtime.migratedFingerprint !== runtime.fingerprint) {
      await this.migrator.migrate(plugin, runtime.backend.code);
      runtime.migratedFingerprint = runtime.fingerprint;
    }
  }

  private sameAsCurrent(set: GenerationPlugin[]): boolean {
    const current = this.generation;
    if (!current || current.pluginIds.length !== set.length) return false;
    return set.every((p, i) => current.pluginIds[i] === p.id && current.codeVersions.get(p.id) === p.backend?.code);
  }

  private buildWithin(set: GenerationPlugin[]): Promise<Generation> {
    return buildGeneration(
      {
        host: this,
        hostInfo: new HostInfo(HOST_API_VERSION, this.db.kind),
        databaseUrl: this.db.url,
        startTimeoutMs: this.config.startTimeoutMs,
        logger: this.logger.child('nest'),
      },
      set,
    );
  }

  /** When a failure names no plugin: start each plugin (with its dependencies) alone to find the one that fails. */
  private async isolate(set: GenerationPlugin[]): Promise<string | undefined> {
    for (const candidate of set) {
      const deps = new Set(dependencyClosure(candidate.id, new Map(this.resolverInputs().map((p) => [p.id, p]))));
      const subset = set.filter((p) => deps.has(p.id) || p.id === candidate.id);
      try {
        const trial = await this.buildWithin(subset);
        await trial.retire(0, this.logger);
      } catch {
        return candidate.id;
      }
    }
    return undefined;
  }

  private async swapTo(next: Generation): Promise<void> {
    const previous = this.generation;
    this.generation = next;
    if (!previous) return;
    const retiring = previous.retire(this.config.drainTimeoutMs, this.logger).finally(() => this.retiring.delete(retiring));
    this.retiring.add(retiring);
  }

  private async settleStates(order: string[], refused: Map<string, PluginError>, failures: Map<string, PluginError>): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      let state: PluginState;
      let error: PluginError | undefined;
      if (!runtime.discovered) state = 'missing';
      else if (runtime.discovered.error) [state, error] = ['invalid', runtime.discovered.error];
      else if (!runtime.record.enabled) state = runtime.record.everEnabled ? 'disabled' : 'installed';
      else if (failures.has(runtime.id)) [state, error] = ['failed', failures.get(runtime.id)];
      else if (refused.has(runtime.id)) {
        error = refused.get(runtime.id);
        state = ['PLG_HOST_INCOMPATIBLE', 'PLG_DEPENDENCY_VERSION', 'PLG_DEPENDENCY_MISSING'].includes(error!.code) ? 'incompatible' : 'failed';
      } else state = order.includes(runtime.id) ? 'active' : 'failed';
      const changed = runtime.state !== state || runtime.error?.message !== error?.message;
      if (changed && error) this.logger.warn(`${error.code}: ${error.message}`);
      if (changed && state === 'active' && runtime.backend) {
        const b = runtime.backend;
        this.logger.info(`Plugin '${runtime.id}' active: ${b.routes.length} route(s), ${b.entities.length} entit${b.entities.length === 1 ? 'y' : 'ies'}`);
      }
      runtime.state = state;
      runtime.error = error;
      if (runtime.record.state !== state || (runtime.record.error?.message ?? null) !== (error?.message ?? null)) {
        const stored = error ? { code: error.code, message: error.message } : null;
        await this.store.setState(runtime.id, state, stored);
        runtime.record.state = state;
        runtime.record.error = stored;
      }
    }
  }

  private stateCounts(): string {
    const counts = new Map<string, number>();
    for (const r of this.runtimes.values()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no plugins';
  }

  /** Stops serving, closes the current generation after its in-flight requests, closes the database. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.queue.catch(() => undefined);
    const closed = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    this.server.closeIdleConnections();
    await closed;
    await Promise.all([...this.retiring]);
    await this.generation?.retire(this.config.drainTimeoutMs, this.logger);
    this.generation = undefined;
    rmSync(join(this.config.dataDir, 'host.json'), { force: true });
    await this.db.close();
  }
}
