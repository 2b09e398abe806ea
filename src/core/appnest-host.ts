import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { EntityManager } from 'typeorm';
import type { HostConfig } from '../config/host-config';
import { HostDatabase } from '../database/host-database';
import { PluginScanner } from '../discovery/plugin-scanner';
import { PluginCompiler } from '../loader/plugin-compiler';
import { PluginLoader } from '../loader/plugin-loader';
import { HostLogger, type LogLevel } from '../logging/host-logger';
import { PluginMigrator } from '../migrate/plugin-migrator';
import { HostInfo } from '../sdk/host-info';
import { HOST_EVENTS } from '../sdk/host-events';
import { HOST_API_VERSION } from '../config/host-version';
import { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import { JobBroker } from '../jobs/job-broker';
import { JobInspector } from '../jobs/job-inspector';
import { ExtensionRegistry } from './activation/extension-registry';
import { ALWAYS_RUN } from './activation/scheduled-task-guard';
import { resolveAdminToken } from './admin/admin-token';
import { AuditLog, type Actor } from './admin/audit-log';
import { PluginActions } from './admin/plugin-actions';
import { PluginEnablement } from './admin/plugin-enablement';
import { PluginInstalls, stagingDirOf } from './admin/plugin-installs';
import { PluginMigrations } from './admin/plugin-migrations';
import { PluginRollbacks } from './admin/plugin-rollbacks';
import { checkPluginHealth } from './health/plugin-health-checks';
import { PluginSettingsEditor } from './admin/plugin-settings-editor';
import { PluginUninstaller } from './admin/plugin-uninstaller';
import { PluginUpgrades } from './admin/plugin-upgrades';
import { PluginViews, type PluginView } from './admin/plugin-views';
import { RefusedAuthentications } from './admin/refused-authentications';
import { HostHealth } from './health/host-health';
import type { ClusterFollower, FrontDoor, HostAdapters, StoredArchives } from './host-adapters';
import { ChangeQueue } from './host/change-queue';
import { ClusterFollow } from './host/cluster-follow';
import { pluginRouter } from './host/plugin-router';
import { quarantineAtStart, settleInterruptedInstalls } from './host/start-recovery';
import { PluginQuarantine } from './reconcile/plugin-quarantine';
import { PluginReconciler } from './reconcile/plugin-reconciler';
import { PluginRegistry, type DiskChanges } from './registry/plugin-registry';
import type { PluginEntry } from './registry/plugin-entry';
import { PluginStore } from './registry/plugin-store';
import { PluginLogBuffer } from './telemetry/plugin-log-buffer';
import { PluginLogLevels } from './telemetry/plugin-log-levels';
import { PluginMetrics } from './telemetry/plugin-metrics';
import { UnhandledErrors } from './telemetry/unhandled-errors';
import { LoopBlame } from './telemetry/loop-blame';

export type { Actor } from './admin/audit-log';

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
 * plugin runs in an activation (see CONTRIBUTING.md): its own Nest application, or its part of one
 * shared with the plugins it started with; the host's own routes (the front door, given as an
 * adapter) are one long-lived Nest application. The server routes /api/plugins/<id>/ to the
 * activation. Its public methods are the admin operations, each one change at a time.
 * Start it with `startHost` (src/host), which plugs in the adapters.
 */
export class AppnestHost {
  readonly logger: HostLogger;
  readonly audit: AuditLog;
  readonly views: PluginViews;
  /** Every plugin and its state: the one owner of both. */
  readonly registry: PluginRegistry;
  readonly reconciler: PluginReconciler;
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
  /** This process among the instances sharing the database. */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly archives: StoredArchives;
  readonly quarantine: PluginQuarantine;
  readonly refusedAuthentications: RefusedAuthentications;
  /** Background jobs: the host's one pg-boss, and what the admin sees of it. */
  readonly jobs: JobBroker;
  readonly jobInspector: JobInspector;
  private readonly installs: PluginInstalls;
  private readonly rollbacks: PluginRollbacks;
  /** Requests and 5xx answers per activation: what an upgrade's probe window compares. */
  private readonly enablement: PluginEnablement;
  private readonly upgrades: PluginUpgrades;
  private readonly logLevels: PluginLogLevels;
  private readonly migrations: PluginMigrations;
  private readonly uninstaller: PluginUninstaller;
  private readonly settings: PluginSettingsEditor;
  private readonly actions: PluginActions;
  private readonly scanner: PluginScanner;
  private readonly compiler: PluginCompiler;
  private readonly cluster: ClusterFollow;
  private readonly follower: ClusterFollower;
  private readonly changes = new ChangeQueue();
  private readonly server: Server;
  private frontDoor?: FrontDoor;
  private stopped = false;

  private constructor(
    readonly config: HostConfig,
    readonly db: HostDatabase,
    readonly adminToken: string,
    private readonly options: HostStartOptions,
  ) {
    const { adapters } = options;
    this.logger = new HostLogger(config.logLevel, 'appnest', this.pluginLogs.tee(options.logSink));
    this.logLevels = new PluginLogLevels(this.logger, config.logLevel);
    this.registry = new PluginRegistry(new PluginStore(db.dataSource), this.logger);
    this.errors = new UnhandledErrors(this.logger, () => this.pluginFolders(), { asyncScope: config.asyncAttribution });
    this.metrics = new PluginMetrics({
      installed: () => this.registry.ids(),
      activePlugins: () => this.reconciler.activations.size,
      unhandledErrors: (id) => this.errors.viewOf(id, false).unhandledErrors,
    });
    this.audit = new AuditLog(db.dataSource);
    this.refusedAuthentications = new RefusedAuthentications(this.audit, config.authFailuresPerMinute);
    this.compiler = new PluginCompiler(config.dataDir);
    this.quarantine = new PluginQuarantine(config.dataDir, config.quarantineAfter);
    const loader = new PluginLoader(this.compiler);
    const installer = new PluginArchiveInstaller({ pluginsDir: config.pluginsDir, stagingDir: stagingDirOf(config.pluginsDir), limits: config.archiveLimits });
    const stored = adapters.archives({
      dataSource: db.dataSource,
      pluginsDir: config.pluginsDir,
      shared: db.kind === 'postgres',
      installedIds: () => this.registry.ids(),
      installer,
      logger: this.logger,
    });
    this.archives = stored.archives;
    this.follower = stored.follower;
    const migrator = new PluginMigrator(db, this.logger.child('migrations'), config.migrationLockTimeoutMs, {
      checksums: config.migrationChecksum,
      holdEmpty: options.development === true,
    });
    this.scanner = new PluginScanner(config.pluginsDir, config.frontendPluginsDir);
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
    const emit = (event: string, payload: unknown): Promise<void> => this.reconciler.emit(event, payload);
    this.settings = new PluginSettingsEditor({ registry: this.registry, audit: this.audit, emit });
    this.reconciler = new PluginReconciler(this.registry, {
      db,
      loader,
      migrator,
      logger: this.logger,
      drainTimeoutMs: config.drainTimeoutMs,
      quarantine: this.quarantine,
      safeMode: config.safeMode === true,
      activationContext: {
        settings: { readSettings: (id) => this.settings.read(id) },
        hostInfo: new HostInfo(HOST_API_VERSION, db.kind, this.instanceId),
        dataSource: db.dataSource,
        startTimeoutMs: config.startTimeoutMs,
        logger: this.logger,
        taskGate: db.kind === 'postgres' ? adapters.taskGate({ dataSource: db.dataSource, instanceId: this.instanceId, logger: this.logger }) : ALWAYS_RUN,
        jobs: this.jobs,
        extensions: this.extensions,
        emit,
        exportsOf: (id) => this.reconciler.exportsOf(id),
        errors: this.errors,
        tasks: config.metrics === false ? undefined : this.metrics,
      },
    });
    this.views = new PluginViews({
      registry: this.registry,
      migrator,
      activation: (id) => this.reconciler.activations.get(id),
      errors: this.errors,
      metrics: this.metrics,
      logs: this.pluginLogs,
      logLevelOf: (id) => this.logLevelOf(id),
      settings: (id) => this.settings.read(id),
      previousVersion: (id) => installer.previousVersion(id)?.version ?? null,
    });
    this.migrations = new PluginMigrations({ pluginsDir: config.pluginsDir, registry: this.registry, loader, migrator, audit: this.audit });
    this.uninstaller = new PluginUninstaller({
      pluginsDir: config.pluginsDir,
      frontendPluginsDir: config.frontendPluginsDir,
      registry: this.registry,
      loader,
      migrator,
      audit: this.audit,
      archives: this.archives,
      disableSet: (id) => this.enablement.disableSet(id),
      forgetPrevious: (id) => installer.forgetPrevious(id),
      reconcile: () => this.reconciler.reconcile(),
      jobs: this.jobs,
    });
    const refresh = async (): Promise<void> => {
      await this.syncWithDisk();
      await this.reconciler.reconcile();
    };
    const archiveOperations = {
      registry: this.registry,
      audit: this.audit,
      logger: this.logger,
      installer,
      archives: this.archives,
      transaction: <T>(work: (manager: EntityManager) => Promise<T>) => db.dataSource.transaction(work),
      refresh,
    };
    this.installs = new PluginInstalls(archiveOperations);
    this.rollbacks = new PluginRollbacks(archiveOperations);
    this.actions = new PluginActions({
      registry: this.registry,
      activation: (id) => this.reconciler.activations.get(id),
      audit: this.audit,
      logger: this.logger,
      settings: (id) => this.settings.read(id),
    });
    const announce = (kind: string, pluginId: string) => this.cluster.announce(kind, pluginId);
    this.enablement = new PluginEnablement({
      pluginsDir: config.pluginsDir,
      safeMode: config.safeMode === true,
      registry: this.registry,
      reconciler: this.reconciler,
      quarantine: this.quarantine,
      audit: this.audit,
      metrics: this.metrics,
      announce,
    });
    this.upgrades = new PluginUpgrades({
      probeMs: config.upgradeProbeMs ?? 0,
      registry: this.registry,
      activation: (id) => this.reconciler.activations.get(id),
      installs: this.installs,
      rollbacks: this.rollbacks,
      errors: this.errors,
      metrics: this.metrics,
      health: async (id) => (await checkPluginHealth({ ...this.healthSource(), entries: () => [this.registry.require(id)] }))[0],
      announce,
    });
    this.cluster = new ClusterFollow({ dataSource: db.dataSource, logger: this.logger, follower: stored.follower, registry: this.registry, changes: this.changes, refresh, emit });
    this.healthChecks = new HostHealth(this.instanceId, { ...this.healthSource(), activeCount: () => this.reconciler.activations.size }, db.dataSource, () => this.stopped, config.safeMode === true);
    this.server = createServer(
      pluginRouter({
        activation: (id) => this.reconciler.activations.get(id),
        frontDoor: () => this.frontDoor,
        answered: (id, activation, req, res, began) => {
          this.upgrades.answered(activation, res.statusCode);
          if (config.metrics !== false) this.metrics.requestAnswered(id, req, res.statusCode, began);
        },
      }),
    );
    const blockedLoopMs = config.blockedLoopMs ?? DEFAULT_BLOCKED_LOOP_MS;
    if (blockedLoopMs > 0) this.loopBlame = new LoopBlame(blockedLoopMs, this.logger, () => this.pluginFolders(), this.metrics);
  }

  private healthSource() {
    return {
      entries: () => this.registry.all(),
      activation: (id: string) => this.reconciler.activations.get(id),
      degraded: (id: string) => this.errors.viewOf(id, this.reconciler.activations.has(id)).degraded,
      enter: (id: string) => this.errors.enter(id),
    };
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
      await host.startPlugins();
      // The cluster channel connects while the front door is built; a change it hears waits in the change queue.
      const [frontDoor, following] = await Promise.allSettled([
        options.adapters.frontDoor(host, {
          logger: host.logger.child('nest'),
          uploadDir: stagingDirOf(config.pluginsDir),
          pluginOf: (cause) => host.errors.pluginOfCurrentCode(cause),
        }),
        db.kind === 'postgres' ? host.cluster.start(options.adapters, db.url, host.instanceId) : undefined,
      ]);
      if (frontDoor.status === 'fulfilled') host.frontDoor = frontDoor.value;
      for (const outcome of [frontDoor, following]) if (outcome.status === 'rejected') throw outcome.reason;
      await new Promise<void>((resolve, reject) => {
        host.server.once('error', reject);
        host.server.listen(config.port, resolve);
      });
      writeFileSync(join(config.dataDir, 'host.json'), JSON.stringify({ pid: process.pid, url: host.url }));
      host.loopBlame?.start();
      await host.reconciler.emit(HOST_EVENTS.ready, { activePlugins: [...host.reconciler.activations.keys()] });
      host.logger.info(`appnest listening on ${host.url} in ${Date.now() - started} ms (${host.stateCounts()}), database: ${db.kind}`);
      return host;
    } catch (err) {
      await host.stop();
      throw err;
    }
  }

  /** The start sequence before the host serves: recover, follow the stored archives, scan, quarantine, start. */
  private async startPlugins(): Promise<void> {
    const recovery = { stagingDir: stagingDirOf(this.config.pluginsDir), registry: this.registry, archives: this.archives, quarantine: this.quarantine, audit: this.audit, logger: this.logger };
    const rolledBack = await settleInterruptedInstalls(recovery);
    await this.follower.pullFiles();
    await this.syncWithDisk({ installDropped: true, beforeServing: true });
    await quarantineAtStart(recovery, rolledBack);
    if (this.config.safeMode) this.logger.warn('Safe mode: no plugin starts; enabled flags are kept. Disable the plugin at fault, then restart without APPNEST_SAFE_MODE (or --safe).');
    await this.reconciler.reconcile();
  }

  /** The folder of each plugin this host knows, by id: what stack frames are attributed by. */
  private pluginFolders(): [string, string][] {
    return this.registry.all().flatMap((r) => (r.discovered ? [[r.id, r.discovered.dir] as [string, string]] : []));
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.config.port}`;
  }

  /** The registry's entry of `id`, if it is installed. */
  findPlugin(id: string): PluginEntry | undefined {
    return this.registry.get(id);
  }

  /** The registry's entry of `id`, or PLG_NOT_FOUND. */
  plugin(id: string): PluginEntry {
    return this.registry.require(id);
  }

  listPlugins(): Promise<PluginView[]> {
    return this.views.list();
  }

  describePlugin(id: string): Promise<PluginView> {
    return this.views.describe(this.registry.require(id));
  }

  health() {
    return this.healthChecks.report();
  }

  frontendPlugins() {
    return this.views.frontends();
  }

  /** A plugin's settings with defaults merged (defaults are never written). */
  readSettings(pluginId: string): Record<string, unknown> {
    return this.settings.read(pluginId);
  }

  /** Enables a plugin, live, with the disabled plugins it depends on. */
  enable(id: string, options: Actor & { acceptRisk?: boolean }): Promise<PluginView> {
    return this.changes.run(async () => this.views.describe(await this.enablement.change(id, true, options)));
  }

  /** Disables a plugin, live, with the enabled plugins that depend on it. */
  disable(id: string, options: Actor): Promise<PluginView> {
    return this.changes.run(async () => this.views.describe(await this.enablement.change(id, false, options)));
  }

  /** Rescans the folders: new plugins appear disabled, removed ones become missing, changed ones reload. */
  reload(actor: Actor = { actor: 'system' }) {
    return this.changes.run(async () => {
      const changes = await this.syncWithDisk({ installDropped: true });
      await this.reconciler.reconcile();
      await this.audit.record({ ...actor, action: 'reload', outcome: 'ok', detail: { ...changes } });
      return { ...changes, plugins: await this.views.list() };
    });
  }

  migrate(id?: string, actor: Actor = { actor: 'system' }) {
    return this.changes.run(() => this.migrations.migrate(id, actor));
  }

  revertMigrations(id: string, to?: string, actor: Actor = { actor: 'system' }) {
    return this.changes.run(() => this.migrations.revert(id, to, actor));
  }

  redoMigration(id: string, actor: Actor = { actor: 'system' }) {
    return this.changes.run(() => this.migrations.redo(id, this.options.development === true, actor));
  }

  uninstall(id: string, options: Actor & { purge?: boolean }) {
    return this.changes.run(async () => {
      const result = await this.uninstaller.uninstall(id, options);
      this.pluginLogs.forget(id);
      this.logLevels.forget(id);
      await this.cluster.announce('uninstall', id);
      return result;
    });
  }

  /**
   * Installs an uploaded plugin archive: validated and staged first (other requests keep being
   * served), then moved into place and started under the change lock. An upgrade of a running
   * plugin is then watched for the probe window (APPNEST_UPGRADE_PROBE_MS), still under the lock:
   * if the new version fails it, the previous one is put back and this answers
   * PLG_UPGRADE_ROLLED_BACK.
   */
  async install(archive: Buffer, fileName: string, options: Actor & { overwrite: boolean }) {
    const staged = await this.installs.stage(archive, fileName);
    const result = await this.changes.run(() => this.upgrades.install(staged, archive, { ...options, source: fileName }));
    return { ...(await this.views.describe(this.registry.require(result.id))), replaced: result.replaced, sha256: result.sha256 };
  }

  /** Back to the version the last upgrade of `id` kept (PLG_NO_PREVIOUS_VERSION when none is). */
  rollback(id: string, actor: Actor): Promise<PluginView> {
    return this.changes.run(async () => {
      this.registry.require(id);
      await this.rollbacks.rollback(id, actor);
      await this.cluster.announce('rollback', id);
      return this.views.describe(this.registry.require(id));
    });
  }

  /** The plugin's log level from now on (`null`: the host's again); not stored, a restart forgets it. */
  setLogLevel(id: string, level: unknown): { id: string; logLevel: LogLevel } {
    this.registry.require(id);
    return this.logLevels.set(id, level);
  }

  logLevelOf(id: string): LogLevel {
    return this.logLevels.of(id);
  }

  saveSettings(id: string, settings: unknown, actor: Actor): Promise<PluginView> {
    return this.changes.run(async () => {
      await this.settings.save(id, settings, actor);
      await this.cluster.announce('settings', id);
      return this.views.describe(this.registry.require(id));
    });
  }

  /** A plugin's queues, their counts and recent failures. */
  jobsOf(id: string) {
    this.registry.require(id);
    return this.jobInspector.summary(id);
  }

  /** One job of a plugin, for following a queued action. */
  jobOf(id: string, jobId: string) {
    this.registry.require(id);
    return this.jobInspector.job(id, jobId);
  }

  retryJob(id: string, jobId: string, actor: Actor) {
    this.registry.require(id);
    return this.audited('job:retry', id, actor, () => this.jobInspector.retry(id, jobId));
  }

  cancelJob(id: string, jobId: string, actor: Actor) {
    this.registry.require(id);
    return this.audited('job:cancel', id, actor, () => this.jobInspector.cancel(id, jobId));
  }

  private async audited<T extends Record<string, unknown>>(action: string, pluginId: string, actor: Actor, work: () => Promise<T>): Promise<T> {
    const result = await work();
    await this.audit.record({ ...actor, action, pluginId, outcome: 'ok', detail: { ...result } });
    return result;
  }

  runAction(id: string, action: string, params: unknown, actor: Actor): Promise<unknown> {
    return this.actions.run(id, action, params, actor);
  }

  /**
   * Reads the plugin folders and brings the registry in line with them; optionally installs dropped
   * zips first. `beforeServing`: the start's own scan, whose folders are read on the event loop.
   */
  private async syncWithDisk({ installDropped = false, beforeServing = false } = {}): Promise<DiskChanges> {
    let scan = this.scanner.scan();
    const added = installDropped && scan.archives.length ? await this.installs.installDropped(scan.archives) : [];
    if (added.length) scan = this.scanner.scan();
    return this.registry.syncWithScan(scan, added, { blocking: beforeServing });
  }

  private stateCounts(): string {
    const counts = new Map<string, number>();
    for (const r of this.registry.all()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no plugins';
  }

  /** Stops serving, stops every plugin after its in-flight requests, closes the database. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.loopBlame?.stop();
    await this.cluster.stop();
    await this.changes.idle();
    this.pluginLogs.close();
    const closed = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    this.server.closeIdleConnections();
    await closed;
    await this.reconciler.stopAll();
    await this.jobs.stop();
    await this.frontDoor?.app.close();
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

/** APPNEST_BLOCKED_LOOP_MS unset: a block of the event loop this long is reported. */
const DEFAULT_BLOCKED_LOOP_MS = 1000;
