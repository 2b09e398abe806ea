import express from 'express';
import { Global, Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { GLOBAL_MODULE_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { NestFactory, RouterModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { getDataSourceToken, getEntityManagerToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import { importsOf, isDynamicModule } from '../../loader/module-imports';
import type { LoadedBackend } from '../../loader/plugin-loader';
import { pluginRoutePrefix } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import { HostInfo } from '../../sdk/host-info';
import { EXTENSION_METADATA, EXTENSION_POINTS } from '../../sdk/extension-points';
import { HostEvents } from '../../sdk/host-events';
import { PluginSettings, type SettingsSource } from '../../sdk/plugin-settings';
import { setExportedProvidersResolver, type ExportedProvidersResolver } from '../../sdk/plugin-module';
import type { ExtensionRegistry } from './extension-registry';
import { PluginActivation, type RequestHandler } from './plugin-activation';
import { guardEventHandlers } from './event-handler-guard';
import { eventEmitter, pluginFeatures } from './plugin-features';
import { pluginInstances } from './plugin-instances';
import { PluginRoutesAdapter } from './plugin-routes-adapter';
import { guardScheduledTasks, type TaskGate } from './scheduled-task-guard';
import { SharedApplication, STOP_HOOKS, type ActivationStatus } from './shared-application';
import { withTimeout } from './timeout';
import type { UnhandledErrors } from '../telemetry/unhandled-errors';
import type { JobBroker } from '../../jobs/job-broker';
import { JobQueue } from '../../jobs/job-queue';
import type { TaskObserver } from '../telemetry/task-observer';

export interface ActivationContext {
  settings: SettingsSource;
  hostInfo: HostInfo;
  dataSource: DataSource;
  startTimeoutMs: number;
  logger: HostLogger;
  taskGate: TaskGate;
  jobs: JobBroker;
  extensions: ExtensionRegistry;
  /** Emits an event to every active plugin. */
  emit: (event: string, payload: unknown) => Promise<void>;
  /** The running instances a dependency's root module exports (for usePluginModule). */
  exportsOf: ExportedProvidersResolver;
  /** Where stray errors of plugin code are attributed and counted. */
  errors: UnhandledErrors;
  /** Told of every task run (metrics). */
  tasks?: TaskObserver;
}

@Global()
@Module({})
class AppnestSdkModule {}

@Module({})
class ActivationRootModule {}

const START_HOOKS = ['onModuleInit', 'onApplicationBootstrap'] as const;

/** What every plugin is given, the same for all: host info, the database, host events. */
function hostProviders(ctx: ActivationContext): Provider[] {
  const events: HostEvents = { emit: (event, payload) => ctx.emit(event, payload) };
  return [
    { provide: HostInfo, useValue: ctx.hostInfo },
    { provide: getDataSourceToken(), useValue: ctx.dataSource },
    { provide: getEntityManagerToken(), useValue: ctx.dataSource.manager },
    { provide: HostEvents, useValue: events },
  ];
}

/** What is the plugin's own: its settings and its view of the extension points. */
function pluginProviders(ctx: ActivationContext, pluginId: string): Provider[] {
  return [
    { provide: PluginSettings, useValue: new PluginSettings(ctx.settings, pluginId) },
    { provide: EXTENSION_POINTS, useValue: ctx.extensions.bind(pluginId) },
    { provide: JobQueue, useValue: new JobQueue(ctx.jobs, pluginId) },
  ];
}

function sdkModule(moduleClass: Function, providers: Provider[], global: boolean): DynamicModule {
  return { module: moduleClass as Type<unknown>, global, providers, exports: providers.map((p) => (p as { provide: unknown }).provide as never) };
}

/** Runs `create` with the exported-providers resolver of usePluginModule in place, within the start timeout. */
async function createApplication(ctx: ActivationContext, root: DynamicModule, server: express.Express, subject: string, pluginId?: string): Promise<INestApplication> {
  setExportedProvidersResolver(ctx.exportsOf);
  try {
    return await withTimeout(
      NestFactory.create(root, new PluginRoutesAdapter(server, pluginId), { logger: ctx.logger.child('nest').forNest(() => ctx.errors.pluginOfCurrentCode()), abortOnError: false }),
      ctx.startTimeoutMs,
      () => new PluginError('PLG_START_TIMEOUT', `${subject} did not finish creating its providers within ${ctx.startTimeoutMs} ms.`, { pluginId }),
    );
  } finally {
    setExportedProvidersResolver(undefined);
  }
}

function featureModules(backends: LoadedBackend[]): DynamicModule[] {
  const features = backends.map((b) => pluginFeatures(b.modules));
  return [
    ...(features.some((f) => f.schedule && !f.ownScheduler) ? [ScheduleModule.forRoot()] : []),
    ...(features.some((f) => f.events && !f.ownEventBus) ? [eventEmitter().EventEmitterModule.forRoot({ wildcard: false })] : []),
  ];
}

/** Wraps the plugin's hooks, tasks and event handlers before the application initialises. */
function guardPlugin(app: INestApplication, ctx: ActivationContext, pluginId: string, backend: LoadedBackend, activation: ActivationStatus): void {
  const instances = pluginInstances(app, backend.modules);
  const enter = ctx.errors.enter(pluginId);
  const logger = ctx.logger.child(`plugin:${pluginId}`);
  guardLifecycleHooks(instances, pluginId, ctx, activation);
  guardScheduledTasks(instances, pluginId, ctx.taskGate, logger, activation, enter, ctx.tasks);
  guardEventHandlers(instances, pluginId, logger, activation, enter);
}

/** The application's request handler, run in the plugin's scope (what its requests schedule is its own). */
function scopedHandler(ctx: ActivationContext, pluginId: string, server: express.Express): RequestHandler {
  const enter = ctx.errors.enter(pluginId);
  return (req, res) => enter(() => server(req as express.Request, res as express.Response));
}

function newServer(): express.Express {
  const server = express();
  server.disable('x-powered-by');
  return server;
}

/** Starts one plugin as its own Nest application. Any failure is the plugin's, with its id. */
export async function startActivation(ctx: ActivationContext, pluginId: string, backend: LoadedBackend, dependencies: Map<string, PluginActivation>): Promise<PluginActivation> {
  const root: DynamicModule = {
    module: ActivationRootModule,
    imports: [sdkModule(AppnestSdkModule, [...hostProviders(ctx), ...pluginProviders(ctx, pluginId)], true), ...featureModules([backend]), backend.moduleClass as Type<unknown>],
  };
  const server = newServer();
  let app: INestApplication | undefined;
  let stopJobs: (() => Promise<void>) | undefined;
  try {
    app = await ctx.errors.enter(pluginId)(() => createApplication(ctx, root, server, `Plugin '${pluginId}'`, pluginId));
    app.setGlobalPrefix(pluginRoutePrefix(pluginId));
    if (backend.configure) await configureApplication(ctx, pluginId, app, backend.configure);
    guardPlugin(app, ctx, pluginId, backend, { stopped: false });
    await app.init();
    contributeExtensions(ctx.extensions, pluginId, app, backend.modules);
    stopJobs = await startJobWorkers(ctx, pluginId, app, backend);
  } catch (err) {
    ctx.extensions.remove(pluginId);
    await app?.close().catch(() => undefined);
    throw toPluginError(err, 'PLG_START_FAILED', pluginId, 'failed to start');
  }
  ctx.errors.started(pluginId);
  const activation = new PluginActivation(pluginId, app, scopedHandler(ctx, pluginId, server), backend, dependencies);
  activation.stopJobs = stopJobs;
  return activation;
}

/** Starts the workers of the plugin's @JobHandler queues; returns what stops them, if it has any. */
async function startJobWorkers(ctx: ActivationContext, pluginId: string, app: INestApplication, backend: LoadedBackend): Promise<(() => Promise<void>) | undefined> {
  const workers = await ctx.jobs.startWorkers(pluginId, pluginInstances(app, backend.modules));
  return workers && (() => ctx.jobs.stopWorkers(workers));
}

/**
 * Runs the plugin's `configure(app)` (what its main.ts did: global pipes, filters, interceptors,
 * CORS, Swagger) on its own application, so it reaches the plugin's routes alone.
 */
async function configureApplication(ctx: ActivationContext, pluginId: string, app: INestApplication, configure: NonNullable<LoadedBackend['configure']>): Promise<void> {
  const run = Promise.resolve().then(() => configure(app));
  await withTimeout(run, ctx.startTimeoutMs, () =>
    new PluginError('PLG_START_TIMEOUT', `Plugin '${pluginId}': configure(app) did not finish within ${ctx.startTimeoutMs} ms.`, { pluginId }),
  ).catch((err: unknown) => {
    throw toPluginError(err, 'PLG_START_FAILED', pluginId, 'threw in configure(app)');
  });
}

const APP_WIDE_TOKENS = new Set(['APP_GUARD', 'APP_INTERCEPTOR', 'APP_FILTER', 'APP_PIPE']);

/**
 * Whether a plugin can share an application with others without reaching them: it has no
 * configure(app), none of its modules or the dynamic modules it imports is global, configures middleware or registers app-wide guards, interceptors, filters or
 * pipes, and no module it imports from elsewhere brings controllers (which the plugin's route
 * prefix would not cover).
 */
export function canShareApplication(backend: LoadedBackend): boolean {
  if (backend.configure) return false;
  // A global dynamic module (ConfigModule.forRoot({ isGlobal: true }), ScheduleModule.forRoot())
  // would reach the other plugins; an async forRoot() cannot be looked into before it resolves.
  if (importsOf(backend.modules).some((entry) => entry instanceof Promise || (isDynamicModule(entry) && entry.global))) return false;
  const own = new Set(backend.modules);
  for (const moduleClass of backend.modules) {
    if (Reflect.getMetadata(GLOBAL_MODULE_METADATA, moduleClass)) return false;
    if (typeof (moduleClass.prototype as { configure?: unknown } | undefined)?.configure === 'function') return false;
    const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as unknown[] | undefined) ?? [];
    const dynamic = imports.filter((i): i is DynamicModule => !!i && typeof i === 'object' && 'module' in i);
    const providers = [...((Reflect.getMetadata(MODULE_METADATA.PROVIDERS, moduleClass) as unknown[] | undefined) ?? []), ...dynamic.flatMap((d) => (own.has(d.module) ? (d.providers ?? []) : []))];
    if (providers.some((p) => !!p && typeof p === 'object' && APP_WIDE_TOKENS.has(String((p as { provide?: unknown }).provide)))) return false;
    for (const imported of imports) {
      const ref = typeof imported === 'function' ? { module: imported as Type<unknown> } : (imported as Partial<DynamicModule> | undefined);
      if (!ref?.module || own.has(ref.module)) continue;
      const controllers = [...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ref.module) as unknown[] | undefined) ?? []), ...(ref.controllers ?? [])];
      if (controllers.length) return false;
    }
  }
  return true;
}

/**
 * Starts several plugins (each `canShareApplication`) in one Nest application: the host's
 * providers are global, each plugin's own (settings, extension points) are imported into its
 * modules alone, and each plugin's modules are mounted under its route prefix. Returns one activation
 * per plugin that started, and the error of each whose start hook threw or timed out: that one
 * leaves the application (as a stop would), the others run on, each constructed once. Any other
 * failure (a constructor, dependency injection) fails the whole start; the caller then starts
 * them one by one, which names the plugin at fault.
 */
export async function startSharedActivations(ctx: ActivationContext, members: { pluginId: string; backend: LoadedBackend }[]): Promise<{ activations: PluginActivation[]; failures: Map<string, Error> }> {
  const root: DynamicModule = {
    module: ActivationRootModule,
    imports: [
      sdkModule(AppnestSdkModule, hostProviders(ctx), true),
      ...featureModules(members.map((m) => m.backend)),
      ...members.map((m) => m.backend.moduleClass as Type<unknown>),
      RouterModule.register(members.flatMap(({ pluginId, backend }) => backend.modules.map((module) => ({ path: pluginRoutePrefix(pluginId), module: module as Type<unknown> })))),
    ],
  };
  // Each plugin's own providers reach its modules through an import added for the creation only.
  const original = new Map<Function, unknown[] | undefined>();
  for (const { pluginId, backend } of members) {
    class PluginSdkModule {}
    const own = sdkModule(PluginSdkModule, pluginProviders(ctx, pluginId), false);
    for (const moduleClass of backend.modules) {
      const imports = Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as unknown[] | undefined;
      original.set(moduleClass, imports);
      Reflect.defineMetadata(MODULE_METADATA.IMPORTS, [...(imports ?? []), own], moduleClass);
    }
  }
  const server = newServer();
  const ids = members.map((m) => m.pluginId);
  let app: INestApplication | undefined;
  const statuses: ActivationStatus[] = members.map(() => ({ stopped: false, isolated: true }));
  const stopJobs = new Map<string, (() => Promise<void>) | undefined>();
  try {
    try {
      app = await createApplication(ctx, root, server, `Plugins ${ids.map((id) => `'${id}'`).join(', ')}`);
    } finally {
      for (const [moduleClass, imports] of original) {
        if (imports) Reflect.defineMetadata(MODULE_METADATA.IMPORTS, imports, moduleClass);
        else Reflect.deleteMetadata(MODULE_METADATA.IMPORTS, moduleClass);
      }
    }
    members.forEach(({ pluginId, backend }, i) => guardPlugin(app!, ctx, pluginId, backend, statuses[i]));
    await app.init();
    const started = members.filter((_, i) => !statuses[i].failure);
    for (const { pluginId, backend } of started) contributeExtensions(ctx.extensions, pluginId, app, backend.modules);
    for (const { pluginId, backend } of started) stopJobs.set(pluginId, await startJobWorkers(ctx, pluginId, app, backend));
  } catch (err) {
    for (const id of ids) ctx.extensions.remove(id);
    await Promise.all([...stopJobs.values()].map((stop) => (stop ? stop() : Promise.resolve())));
    await app?.close().catch(() => undefined);
    throw err;
  }
  const shared = new SharedApplication(app, members.map(({ pluginId, backend }, i) => ({ pluginId, modules: backend.modules, activation: statuses[i] })));
  const failures = new Map<string, Error>();
  const activations: PluginActivation[] = [];
  for (const [i, { pluginId, backend }] of members.entries()) {
    const failure = statuses[i].failure;
    if (failure) {
      failures.set(pluginId, failure);
      await shared.detach(pluginId, ctx.logger);
      continue;
    }
    ctx.errors.started(pluginId);
    const activation = new PluginActivation(pluginId, app, scopedHandler(ctx, pluginId, server), backend, new Map(), shared);
    activation.stopJobs = stopJobs.get(pluginId);
    activations.push(activation);
  }
  return { activations, failures };
}

/** Contributes the plugin's `@Extension` providers to their extension points. */
export function contributeExtensions(extensions: ExtensionRegistry, pluginId: string, app: INestApplication, modules: Function[]): void {
  for (const instance of pluginInstances(app, modules)) {
    const point = Reflect.getMetadata(EXTENSION_METADATA, instance.constructor) as string | undefined;
    if (point) extensions.contribute(pluginId, point, instance);
  }
}

/**
 * Wraps every lifecycle hook of the plugin's providers: a start hook that throws or outlives the
 * start timeout fails the plugin (by name); a stop hook that does is logged and does not block.
 * Once the activation is stopped, none of them runs again.
 */
function guardLifecycleHooks(instances: object[], pluginId: string, ctx: ActivationContext, activation: ActivationStatus): void {
  for (const instance of instances as Record<string, unknown>[]) {
    for (const hook of [...START_HOOKS, ...STOP_HOOKS]) {
      const original = instance[hook];
      if (typeof original !== 'function') continue;
      const starting = (START_HOOKS as readonly string[]).includes(hook);
      const owner = (instance.constructor as Function | undefined)?.name ?? 'provider';
      const enter = ctx.errors.enter(pluginId);
      instance[hook] = async (...args: unknown[]) => {
        if (activation.stopped) return; // stopped already, by leaving a shared application
        if (starting && activation.failure) return; // failed to start already, in a shared application
        const run = Promise.resolve().then(() => enter(() => (original as Function).apply(instance, args)));
        try {
          return await withTimeout(run, ctx.startTimeoutMs, () =>
            new PluginError('PLG_START_TIMEOUT', `Plugin '${pluginId}': ${owner}.${hook}() did not finish within ${ctx.startTimeoutMs} ms.`, {
              pluginId,
              hint: 'Make the hook finish sooner (or move long work out of it), or raise APPNEST_START_TIMEOUT_MS.',
            }),
          );
        } catch (err) {
          const error = err instanceof PluginError ? err : toPluginError(err, 'PLG_START_FAILED', pluginId, `threw in ${owner}.${hook}()`);
          if (starting && activation.isolated) activation.failure ??= error;
          else if (starting) throw error;
          ctx.logger.error(error.message);
        }
      };
    }
  }
}
