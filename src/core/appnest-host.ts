import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { HostConfig } from '../config/host-config';
import { HostDatabase } from '../database/host-database';
import { PluginScanner } from '../discovery/plugin-scanner';
import { PluginError, toPluginError } from '../errors/plugin-error';
import { PluginCompiler } from '../loader/plugin-compiler';
import { PLUGIN_PATH, PluginLoader } from '../loader/plugin-loader';
import { HostLogger } from '../logging/host-logger';
import { PluginMigrator } from '../migrate/plugin-migrator';
import { HostInfo } from '../sdk/host-info';
import { HOST_EVENTS } from '../sdk/host-events';
import { withDefaults } from '../settings/with-defaults';
import { resolveAdminToken } from './admin-token';
import { AuditLog } from './audit-log';
import { ExtensionRegistry } from './extension-registry';
import { HOST_API_VERSION } from '../config/host-version';
import { PluginActivator } from './plugin-activator';
import { PluginMaintenance, type Actor } from './plugin-maintenance';
import { PluginOperations, stagingDirOf } from './plugin-operations';
import { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import { recoverInstalls } from '../archive/install-recovery';
import { planDisable, planEnable } from './enable-plan';
import type { PluginRuntime } from './plugin-runtime';
import { PluginQuarantine } from './plugin-quarantine';
import { PluginStore } from './plugin-store';
import { RefusedAuthentications } from './refused-authentications';
import { syncRuntimes, type DiskChanges } from './disk-sync';
import { PluginViews } from './plugin-views';
import { ALWAYS_RUN } from './scheduled-task-guard';
import { UnhandledErrors } from './unhandled-errors';
import type { ChangeChannel, ClusterChange, ClusterFollower, FrontDoor, HostAdapters, StoredArchives } from './host-adapters';
import { JobBroker } from '../jobs/job-broker';
import { JobInspector } from '../jobs/job-inspector';
import { PluginMetrics } from './telemetry/plugin-metrics';
import { HostHealth } from './health/host-health';
import { PluginLogBuffer } from './telemetry/plugin-log-buffer';
import { LoopBlame } from './telemetry/loop-blame';
import type { LogLevel } from '../logging/host-logger';

export type { Actor } from './plugin-maintenance';

export interface HostStartOptions {
  /** The parts for several instances and the HTTP front door (src/host plugs the real ones in). */
  adapters: HostAdapters;
  /** Where log lines go (default: stdout). */
  logSink?: (line: string) => void;
  /** Run for `appnest dev`: empty migrations are held back, and migrate:redo works on enabled plugins. */
  development?: boolean;
}

/**
 * The core: owns the process, the HTTP server, the database and the plugin states. Each active
 * plugin runs in a cell started once per activation: its own Nest application, or its part of one
 * shared with the plugins it started with; the host's own routes (the front door, given as an
 * adapter) are one long-lived Nest application. The server routes /api/plugins/<id>/ to the cell.
 * Start it with `startHost` (src/host), which plugs in the adapters.
 */
export class AppnestHost {
  readonly logger: HostLogger;
  readonly audit: AuditLog;
  readonly views: PluginViews;
  readonly runtimes = new Map<string, PluginRuntime>();
  readonly activator: PluginActivator;
  readonly extensions = new ExtensionRegistry();
  /** The last log lines of each plugin, and its live followers. */
  readonly pluginLogs = new PluginLogBuffer();
  /** Stray rejections and exceptions of plugin code, counted per plugin. */
  readonly errors: UnhandledErrors;
  /** Prometheus series of the plugins and the host (GET /metrics). */
  readonly metrics: PluginMetrics;
  /** Plugin health checks, liveness and readiness (GET /api/health...). */
  readonly healthChecks: HostHealth;
  /** Names the plugin that blocks the event loop (off with APPNEST_BLOCKED_LOOP_MS=0). */
  readonly loopBlame?: LoopBlame;
  private readonly maintenance: PluginMaintenance;
  private readonly operations: PluginOperations;
  private readonly store: PluginStore;
  private readonly scanner: PluginScanner;
  private readonly compiler: PluginCompiler;
  private readonly server: Server;
  private hostApp?: FrontDoor;
  /** This process among the instances sharing the database. */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly archives: StoredArchives;
  readonly quarantine: PluginQuarantine;
  readonly refusedAuthentications: RefusedAuthentications;
  /** Background jobs: the host's one pg-boss, and what the admin sees of it. */
  readonly jobs: JobBroker;
  readonly jobInspector: JobInspector;
  private readonly clusterSync: ClusterFollower;
  private channel?: ChangeChannel;
  private resyncTimer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  private constructor(
    readonly config: HostConfig,
    readonly db: HostDatabase,
    readonly adminToken: string,
    private readonly options: HostStartOptions,
  ) {
    this.logger = new HostLogger(config.logLevel, 'appnest', this.pluginLogs.tee(options.logSink));
    this.errors = new UnhandledErrors(this.logger, () => this.pluginFolders());
    this.metrics = new PluginMetrics({
      installed: () => this.runtimes.keys(),
      activePlugins: () => this.activator.cells.size,
      unhandledErrors: (id) => this.errors.viewOf(id, false).unhandledErrors,
    });
    this.store = new PluginStore(db.dataSource);
    this.audit = new AuditLog(db.dataSource);
    this.refusedAuthentications = new RefusedAuthentications(this.audit, config.authFailuresPerMinute);
    this.compiler = new PluginCompiler(config.dataDir);
    this.quarantine = new PluginQuarantine(config.dataDir);
    const loader = new PluginLoader(this.compiler);
    const installer = new PluginArchiveInstaller({ pluginsDir: config.pluginsDir, stagingDir: stagingDirOf(config.pluginsDir), limits: config.archiveLimits });
    const { adapters } = options;
    ({ archives: this.archives, follower: this.clusterSync } = adapters.archives({
      dataSource: db.dataSource,
      pluginsDir: config.pluginsDir,
      shared: db.kind === 'postgres',
      runtimes: this.runtimes,
      store: this.store,
      installer,
      logger: this.logger,
    }));
    const migrator = new PluginMigrator(db, this.logger.child('migrations'), config.migrationLockTimeoutMs, {
      checksums: config.migrationChecksum,
      holdEmpty: options.development === true,
    });
    this.scanner = new PluginScanner(config.pluginsDir, config.frontendPluginsDir);
    this.views = new PluginViews(this, migrator);
    this.jobs = new JobBroker({
      url: db.url,
      kind: db.kind,
      dataSource: db.dataSource,
      logger: this.logger.child('jobs'),
      drainTimeoutMs: config.jobDrainTimeoutMs ?? 30_000,
      superviseIntervalSeconds: config.jobSuperviseSeconds ?? 5,
      observer: config.metrics === false ? undefined : this.metrics,
    });
    this.jobInspector = new JobInspector(this.jobs, db.dataSource);
    this.activator = new PluginActivator(this.runtimes, {
      db,
      store: this.store,
      loader,
      migrator,
      logger: this.logger,
      drainTimeoutMs: config.drainTimeoutMs,
      quarantine: this.quarantine,
      safeMode: config.safeMode === true,
      cellContext: {
        settings: this,
        hostInfo: new HostInfo(HOST_API_VERSION, db.kind, this.instanceId),
        dataSource: db.dataSource,
        startTimeoutMs: config.startTimeoutMs,
        logger: this.logger,
        taskGate: db.kind === 'postgres' ? adapters.taskGate({ dataSource: db.dataSource, instanceId: this.instanceId, logger: this.logger }) : ALWAYS_RUN,
        jobs: this.jobs,
        extensions: this.extensions,
        emit: (event, payload) => this.activator.emit(event, payload),
        exportsOf: (id) => this.activator.exportsOf(id),
        errors: this.errors,
        tasks: config.metrics === false ? undefined : this.metrics,
      },
    });
    this.maintenance = new PluginMaintenance({
      config,
      runtimes: this.runtimes,
      runtime: (id) => this.runtime(id),
      activator: this.activator,
      store: this.store,
      loader,
      migrator,
      audit: this.audit,
      disableSet: (id) => this.checkDisable(id),
      archives: this.archives,
      jobs: this.jobs,
    });
    this.operations = new PluginOperations({
      runtime: (id) => this.runtime(id),
      runtimes: this.runtimes,
      activator: this.activator,
      store: this.store,
      audit: this.audit,
      logger: this.logger,
      installer,
      archives: this.archives,
      readSettings: (id) => this.readSettings(id),
      transaction: (work) => db.dataSource.transaction(work),
      refresh: async () => {
        await this.syncWithDisk();
        await this.activator.apply();
      },
    });
    this.healthChecks = new HostHealth(
      this.instanceId,
      {
        runtimes: () => this.runtimes.values(),
        cell: (id) => this.activator.cells.get(id),
        degraded: (id) => this.errors.viewOf(id, this.activator.cells.has(id)).degraded,
        enter: (id) => this.errors.enter(id),
        activeCount: () => this.activator.cells.size,
      },
      db.dataSource,
      () => this.stopped,
      config.safeMode === true,
    );
    this.server = createServer((req, res) => this.route(req, res));
    const blockedLoopMs = config.blockedLoopMs ?? DEFAULT_BLOCKED_LOOP_MS;
    if (blockedLoopMs > 0) this.loopBlame = new LoopBlame(blockedLoopMs, this.logger, () => this.pluginFolders(), this.metrics);
  }

  static async start(config: HostConfig, options: HostStartOptions): Promise<AppnestHost> {
    // The data folder holds the admin token, the embedded database and its socket: the host's user's alone.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(config.dataDir, 0o700);
    mkdirSync(stagingDirOf(config.pluginsDir), { recursive: true });
    const started = Date.now();
    const token = resolveAdminToken(config.dataDir, config.adminToken);
    const db = await HostDatabase.open(config);
    const host = new AppnestHost(config, db, token.token, options);
    // From here on a stray rejection or exception of any plugin is logged and counted, never fatal.
    host.errors.attach();
    try {
      if (token.generated) host.logger.info(`Admin token (shown once, kept in ${token.file}): ${token.token}`);
      const rolledBack = await host.recoverInstalls();
      await host.clusterSync.pullFiles();
      await host.syncWithDisk(true);
      await host.applyQuarantine(rolledBack);
      if (config.safeMode) host.logger.warn('Safe mode: no plugin starts; enabled flags are kept. Disable the plugin at fault, then restart without APPNEST_SAFE_MODE (or --safe).');
      await host.activator.apply();
      host.hostApp = await options.adapters.frontDoor(host, { logger: host.logger.child('nest'), uploadDir: stagingDirOf(config.pluginsDir), pluginOf: () => host.errors.pluginOfCurrentCode() });
      if (db.kind === 'postgres') {
        host.channel = options.adapters.channel({
          url: db.url,
          instanceId: host.instanceId,
          logger: host.logger.child('cluster'),
          onChange: (change) => host.onClusterChange(change),
          onResync: () => host.scheduleResync(),
        });
        await host.channel.start();
      }
      await new Promise<void>((resolve, reject) => {
        host.server.once('error', reject);
        host.server.listen(config.port, resolve);
      });
      writeFileSync(join(config.dataDir, 'host.json'), JSON.stringify({ pid: process.pid, url: host.url }));
      host.loopBlame?.start();
      await host.activator.emit(HOST_EVENTS.ready, { activePlugins: [...host.activator.cells.keys()] });
      host.logger.info(`appnest listening on ${host.url} in ${Date.now() - started} ms (${host.stateCounts()}), database: ${db.kind}`);
      return host;
    } catch (err) {
      await host.stop();
      throw err;
    }
  }

  /**
   * Before any plugin runs: a plugin whose start the last process died in, and a plugin disabled
   * offline, start disabled. Crashed ones keep their reason until enabled again.
   */
  private async applyQuarantine(rolledBack: Set<string>): Promise<void> {
    for (const id of this.quarantine.takeOverInterrupted()) {
      // A start cut off during an install was of the files the install recovery just took back.
      if (rolledBack.has(id)) {
        this.quarantine.remove(id);
        this.logger.info(`Plugin '${id}': the start cut off by the last stop was of the interrupted install; its previous version starts`);
      } else this.logger.error(`PLG_QUARANTINED: ${this.quarantine.entries()[id].reason}`);
    }
    for (const [id, entry] of Object.entries(this.quarantine.entries())) {
      const runtime = this.runtimes.get(id);
      if (runtime?.record.enabled) {
        await this.store.update(id, { enabled: false });
        runtime.record.enabled = false;
        await this.audit.record({ actor: entry.kind === 'offline' ? 'cli (offline)' : 'system', action: 'disable', pluginId: id, outcome: 'ok', detail: { code: 'PLG_QUARANTINED', reason: entry.reason } });
      }
      if (entry.kind === 'offline' || !runtime) this.quarantine.remove(id);
    }
  }

  /** Settles the installs a killed process left half done (see the install journal) and says so in the audit. */
  /** Rolls interrupted installs back or forward; returns the ids rolled back. */
  private async recoverInstalls(): Promise<Set<string>> {
    const recovered = await recoverInstalls({ stagingDir: stagingDirOf(this.config.pluginsDir), storedSha: (id) => this.archives.storedSha(id) });
    const rolledBack = new Set(recovered.filter((install) => install.direction !== 'forward').map((install) => install.id));
    for (const install of recovered) {
      if (install.direction === 'forward') {
        this.archives.setLocal(install.id, install.sha256);
        this.logger.info(`Plugin '${install.id}': the install interrupted by the last stop was already stored; it is completed`);
        continue;
      }
      if (!install.replaced) await this.forgetUnusedRecord(install.id);
      const what = install.replaced ? 'its previous version is back' : 'its files are removed';
      this.logger.warn(`PLG_INSTALL_INTERRUPTED: Plugin '${install.id}': an install was interrupted by the last stop; ${what}`);
      await this.audit.record({
        actor: 'system',
        action: 'install',
        pluginId: install.id,
        outcome: 'failed',
        detail: { code: 'PLG_INSTALL_INTERRUPTED', sha256: install.sha256 || null, restored: install.replaced },
      });
    }
    return rolledBack;
  }

  /** A new id whose install was rolled back leaves no record, unless it holds something of an earlier install. */
  private async forgetUnusedRecord(id: string): Promise<void> {
    const record = (await this.store.all()).find((r) => r.id === id);
    if (record && !record.everEnabled && Object.keys(record.settings ?? {}).length === 0) await this.store.remove(id);
  }

  /** The folder of each plugin this host knows, by id: what stack frames are attributed by. */
  private pluginFolders(): [string, string][] {
    return [...this.runtimes.values()].flatMap((r) => (r.discovered ? [[r.id, r.discovered.dir] as [string, string]] : []));
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.config.port}`;
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const match = PLUGIN_PATH.exec(req.url ?? '/');
    if (match && match[1] !== 'assets') {
      const id = safeDecode(match[1]);
      const cell = this.activator.cells.get(id);
      if (cell) {
        if (this.config.metrics !== false) this.metrics.observeRequest(id, req, res);
        return cell.handle(req, res);
      }
      return sendError(res, new PluginError('PLG_NOT_FOUND', `No active plugin '${id}' serves ${req.url}.`, { pluginId: id, hint: `Enable '${id}', or check the plugin id in the path.` }));
    }
    if (this.hostApp) return this.hostApp.handler(req, res);
    res.setHeader('retry-after', '1');
    sendError(res, new PluginError('PLG_HOST_STARTING', 'The host is starting; retry in a moment.'));
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
    return this.healthChecks.report();
  }

  frontendPlugins() {
    return this.views.frontends();
  }

  /** A plugin's settings with defaults merged (defaults are never written). */
  readSettings(pluginId: string): Record<string, unknown> {
    const runtime = this.runtime(pluginId);
    return withDefaults(runtime.discovered?.descriptor.settings ?? [], runtime.record.settings);
  }

  /** Enables (with its dependencies) or disables (with its dependents) a plugin, live. */
  setEnabled(id: string, enabled: boolean, options: Actor & { acceptRisk?: boolean }) {
    return this.serialize(async () => {
      const action = enabled ? 'enable' : 'disable';
      const began = performance.now();
      try {
        const targets = enabled ? this.checkEnable(id, options.acceptRisk === true) : this.checkDisable(id);
        if (enabled) this.activator.retry([id, ...targets]);
        for (const target of targets) {
          const runtime = this.runtime(target);
          if (enabled) this.quarantine.remove(target);
          const patch = enabled ? { enabled: true, everEnabled: true } : { enabled: false };
          await this.store.update(target, patch);
          Object.assign(runtime.record, patch);
        }
        if (targets.length) await this.announce(action, id);
        const { started, stopped } = await this.activator.apply();
        const runtime = this.runtime(id);
        if (enabled && !this.config.safeMode && runtime.state !== 'active') throw runtime.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' is enabled but ${runtime.state}.`, { pluginId: id });
        await this.audit.record({ ...options, action, pluginId: id, outcome: 'ok', detail: { changed: targets } });
        this.metrics.operation(id, action, 'ok', (performance.now() - began) / 1000);
        for (const target of targets) {
          if (enabled && this.runtime(target).state === 'active') await this.activator.emit(HOST_EVENTS.pluginEnabled, { pluginId: target, restarted: stopped.filter((s) => started.includes(s)) });
          if (!enabled) await this.activator.emit(HOST_EVENTS.pluginDisabled, { pluginId: target });
        }
        return this.views.describe(runtime);
      } catch (err) {
        const error = toPluginError(err, 'PLG_INTERNAL', id, `could not be ${action}d`);
        const outcome = error.status < 500 ? 'refused' : 'failed';
        await this.audit.record({ ...options, action, pluginId: id, outcome, detail: { code: error.code } });
        if (this.runtimes.has(id)) this.metrics.operation(id, action, outcome, (performance.now() - began) / 1000);
        throw error;
      }
    });
  }

  private checkEnable(id: string, acceptRisk: boolean): string[] {
    return planEnable(id, acceptRisk, { runtime: (t) => this.runtime(t), inputs: this.activator.resolverInputs(), pluginsDir: this.config.pluginsDir });
  }

  private checkDisable(id: string): string[] {
    this.runtime(id);
    return planDisable(id, { runtime: (t) => this.runtime(t), inputs: this.activator.resolverInputs() });
  }

  /** Rescans the folders: new plugins appear disabled, removed ones become missing, changed ones reload. */
  reload(actor: Actor = { actor: 'system' }) {
    return this.serialize(async () => {
      const changes = await this.syncWithDisk(true);
      await this.activator.apply();
      await this.audit.record({ ...actor, action: 'reload', outcome: 'ok', detail: { ...changes } });
      return { ...changes, plugins: await this.views.list() };
    });
  }

  migrate(id?: string, actor: Actor = { actor: 'system' }) {
    return this.serialize(() => this.maintenance.migrate(id, actor));
  }

  revertMigrations(id: string, to?: string, actor: Actor = { actor: 'system' }) {
    return this.serialize(() => this.maintenance.revert(id, to, actor));
  }

  redoMigration(id: string, actor: Actor = { actor: 'system' }) {
    return this.serialize(() => this.maintenance.redo(id, this.options.development === true, actor));
  }

  uninstall(id: string, options: Actor & { purge?: boolean }) {
    return this.serialize(async () => {
      const result = await this.maintenance.uninstall(id, options);
      this.pluginLogs.forget(id);
      this.logger.levels.delete(`plugin:${id}`);
      await this.announce('uninstall', id);
      return result;
    });
  }

  /** Tells the other instances on the database that a stored change happened (never for a refused one). */
  private async announce(kind: string, pluginId?: string): Promise<void> {
    try {
      await this.channel?.publish({ kind, pluginId }, (sql, params) => this.db.dataSource.query(sql, params));
    } catch (err) {
      this.logger.warn(`Could not notify the other instances of '${kind}': ${(err as Error).message}`);
    }
  }

  private onClusterChange(change: ClusterChange): void {
    this.logger.debug(`Instance ${change.instance} changed '${change.pluginId ?? '*'}' (${change.kind})`);
    this.scheduleResync();
  }

  /** Coalesces bursts of notifications into one resync. */
  private scheduleResync(): void {
    if (this.stopped || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      this.serialize(() => this.resync()).catch((err: Error) => this.logger.error(`Resync from the database failed: ${err.message}`));
    }, 50);
  }

  /** Brings this instance in line with the database: files from stored archives, flags, settings, then the running set. */
  private async resync(): Promise<void> {
    if (this.stopped) return;
    await this.clusterSync.pullFiles();
    const settingsChanged = await this.clusterSync.pullRecords();
    await this.syncWithDisk();
    await this.activator.apply();
    for (const pluginId of settingsChanged) await this.activator.emit(HOST_EVENTS.settingsChanged, { pluginId });
  }

  /**
   * Installs an uploaded plugin archive: validated and staged first (other requests keep being
   * served), then moved into place and started under the change lock.
   */
  async install(archive: Buffer, fileName: string, options: Actor & { overwrite: boolean }) {
    const staged = await this.operations.stage(archive, fileName);
    const result = await this.serialize(async () => {
      // Replacing an installed version is an upgrade, counted like enable and disable.
      const began = this.runtimes.get(staged.id)?.discovered ? performance.now() : undefined;
      try {
        const done = await this.operations.commit(staged, archive, { ...options, source: fileName });
        if (began !== undefined) this.metrics.operation(staged.id, 'upgrade', 'ok', (performance.now() - began) / 1000);
        await this.announce('install', done.id);
        return done;
      } catch (err) {
        if (began !== undefined) this.metrics.operation(staged.id, 'upgrade', (err as PluginError).status < 500 ? 'refused' : 'failed', (performance.now() - began) / 1000);
        throw err;
      }
    });
    return { ...(await this.views.describe(this.runtime(result.id))), replaced: result.replaced, sha256: result.sha256 };
  }

  /** The plugin's log level from now on (`null`: the host's again); not stored, a restart forgets it. */
  setLogLevel(id: string, level: unknown): { id: string; logLevel: LogLevel } {
    this.runtime(id);
    if (level !== null && !LOG_LEVELS.includes(level as LogLevel)) {
      throw new PluginError('PLG_BAD_REQUEST', `${JSON.stringify(level) ?? 'Nothing'} is not a log level for plugin '${id}'.`, { pluginId: id, hint: `Send { "level": ${LOG_LEVELS.map((l) => `"${l}"`).join(' | ')} | null }.`, details: { field: 'level' } });
    }
    const tag = `plugin:${id}`;
    if (level === null) this.logger.levels.delete(tag);
    else this.logger.levels.set(tag, level as LogLevel);
    this.logger.info(`Plugin '${id}': log level ${level === null ? `${this.config.logLevel} (the host's)` : (level as LogLevel)}`);
    return { id, logLevel: this.logLevelOf(id) };
  }

  logLevelOf(id: string): LogLevel {
    return this.logger.levels.get(`plugin:${id}`) ?? this.config.logLevel;
  }

  saveSettings(id: string, settings: unknown, actor: Actor) {
    return this.serialize(async () => {
      await this.operations.saveSettings(id, settings, actor);
      await this.announce('settings', id);
      return this.views.describe(this.runtime(id));
    });
  }

  /** A plugin's queues, their counts and recent failures. */
  jobsOf(id: string) {
    this.runtime(id);
    return this.jobInspector.summary(id);
  }

  /** One job of a plugin, for following a queued action. */
  jobOf(id: string, jobId: string) {
    this.runtime(id);
    return this.jobInspector.job(id, jobId);
  }

  retryJob(id: string, jobId: string, actor: Actor) {
    this.runtime(id);
    return this.audited('job:retry', id, actor, () => this.jobInspector.retry(id, jobId));
  }

  cancelJob(id: string, jobId: string, actor: Actor) {
    this.runtime(id);
    return this.audited('job:cancel', id, actor, () => this.jobInspector.cancel(id, jobId));
  }

  private async audited<T extends Record<string, unknown>>(action: string, pluginId: string, actor: Actor, work: () => Promise<T>): Promise<T> {
    const result = await work();
    await this.audit.record({ ...actor, action, pluginId, outcome: 'ok', detail: { ...result } });
    return result;
  }

  runAction(id: string, action: string, params: unknown, actor: Actor) {
    return this.operations.run(id, action, params, actor);
  }

  /** Reads the plugin folders and brings the records and runtimes in line with them; optionally installs dropped zips first. */
  private async syncWithDisk(installDropped = false): Promise<DiskChanges> {
    let scan = this.scanner.scan();
    const added = installDropped && scan.archives.length ? await this.operations.installDropped(scan.archives) : [];
    if (added.length) scan = this.scanner.scan();
    return syncRuntimes(scan, { runtimes: this.runtimes, store: this.store, logger: this.logger }, added);
  }

  private stateCounts(): string {
    const counts = new Map<string, number>();
    for (const r of this.runtimes.values()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no plugins';
  }

  /** Stops serving, stops every plugin after its in-flight requests, closes the database. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    await this.loopBlame?.stop();
    await this.channel?.stop();
    await this.queue.catch(() => undefined);
    this.pluginLogs.close();
    const closed = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    this.server.closeIdleConnections();
    await closed;
    await this.activator.stopAll();
    await this.jobs.stop();
    await this.hostApp?.app.close();
    await this.refusedAuthentications.stop().catch((err: Error) => this.logger.warn(`Could not write the refused authentications to the audit: ${err.message}`));
    await this.compiler.flushCaches();
    rmSync(join(this.config.dataDir, 'host.json'), { force: true });
    try {
      await this.db.close();
    } finally {
      this.errors.detach();
    }
  }
}

/** An error answer of the front door, in the catalogue's one shape (the same as the error filter's). */
function sendError(res: ServerResponse, error: PluginError): void {
  res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(error.toJSON()));
}
/** APPNEST_BLOCKED_LOOP_MS unset: a block of the event loop this long is reported. */
const DEFAULT_BLOCKED_LOOP_MS = 1000;
const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
