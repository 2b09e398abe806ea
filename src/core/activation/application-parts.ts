import express from 'express';
import { Global, Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { getDataSourceToken, getEntityManagerToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { LoadedBackend } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import { HostInfo } from '../../sdk/host-info';
import { EXTENSION_METADATA, EXTENSION_POINTS } from '../../sdk/extension-points';
import { HostEvents } from '../../sdk/host-events';
import { PluginSettings, type SettingsSource } from '../../sdk/plugin-settings';
import { setExportedProvidersResolver, type ExportedProvidersResolver } from '../../sdk/plugin-module';
import type { ExtensionRegistry } from './extension-registry';
import { type RequestHandler } from './plugin-activation';
import { guardEventHandlers } from './event-handler-guard';
import { eventEmitter, pluginFeatures } from './plugin-features';
import { pluginInstances } from './plugin-instances';
import { PluginRoutesAdapter } from './plugin-routes-adapter';
import { guardScheduledTasks, type TaskGate } from './scheduled-task-guard';
import { STOP_HOOKS, type ActivationStatus } from './shared-application';
import { withTimeout } from './timeout';
import type { UnhandledErrors } from '../telemetry/unhandled-errors';
import type { JobBroker } from '../../jobs/job-broker';
import { JobQueue } from '../../jobs/job-queue';
import type { TaskObserver } from '../telemetry/task-observer';

// What the starts of an activation (alone or in a shared application) build it from.

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
export class AppnestSdkModule {}

@Module({})
export class ActivationRootModule {}

export const START_HOOKS = ['onModuleInit', 'onApplicationBootstrap'] as const;

/** What every plugin is given, the same for all: host info, the database, host events. */
export function hostProviders(ctx: ActivationContext): Provider[] {
  const events: HostEvents = { emit: (event, payload) => ctx.emit(event, payload) };
  return [
    { provide: HostInfo, useValue: ctx.hostInfo },
    { provide: getDataSourceToken(), useValue: ctx.dataSource },
    { provide: getEntityManagerToken(), useValue: ctx.dataSource.manager },
    { provide: HostEvents, useValue: events },
  ];
}

/** What is the plugin's own: its settings and its view of the extension points. */
export function pluginProviders(ctx: ActivationContext, pluginId: string): Provider[] {
  return [
    { provide: PluginSettings, useValue: new PluginSettings(ctx.settings, pluginId) },
    { provide: EXTENSION_POINTS, useValue: ctx.extensions.bind(pluginId) },
    { provide: JobQueue, useValue: new JobQueue(ctx.jobs, pluginId) },
  ];
}

export function sdkModule(moduleClass: Function, providers: Provider[], global: boolean): DynamicModule {
  return { module: moduleClass as Type<unknown>, global, providers, exports: providers.map((p) => (p as { provide: unknown }).provide as never) };
}

/** Runs `create` with the exported-providers resolver of usePluginModule in place, within the start timeout. */
export async function createApplication(ctx: ActivationContext, root: DynamicModule, server: express.Express, subject: string, pluginId?: string): Promise<INestApplication> {
  setExportedProvidersResolver(ctx.exportsOf);
  try {
    return await withTimeout(
      NestFactory.create(root, new PluginRoutesAdapter(server, pluginId), { logger: ctx.logger.child('nest').forNest((cause) => ctx.errors.pluginOfCurrentCode(cause)), abortOnError: false }),
      ctx.startTimeoutMs,
      () => new PluginError('PLG_START_TIMEOUT', `${subject} did not finish creating its providers within ${ctx.startTimeoutMs} ms.`, { pluginId }),
    );
  } finally {
    setExportedProvidersResolver(undefined);
  }
}

export function featureModules(backends: LoadedBackend[]): DynamicModule[] {
  const features = backends.map((b) => pluginFeatures(b.modules));
  return [
    ...(features.some((f) => f.schedule && !f.ownScheduler) ? [ScheduleModule.forRoot()] : []),
    ...(features.some((f) => f.events && !f.ownEventBus) ? [eventEmitter().EventEmitterModule.forRoot({ wildcard: false })] : []),
  ];
}

/** Wraps the plugin's hooks, tasks and event handlers before the application initialises. */
export function guardPlugin(app: INestApplication, ctx: ActivationContext, pluginId: string, backend: LoadedBackend, activation: ActivationStatus): void {
  const instances = pluginInstances(app, backend.modules);
  const enter = ctx.errors.enter(pluginId);
  const logger = ctx.logger.child(`plugin:${pluginId}`);
  guardLifecycleHooks(instances, pluginId, ctx, activation);
  guardScheduledTasks(instances, pluginId, ctx.taskGate, logger, activation, enter, ctx.tasks);
  guardEventHandlers(instances, pluginId, logger, activation, enter);
}

/** The application's request handler, run in the plugin's scope (what its requests schedule is its own). */
export function scopedHandler(ctx: ActivationContext, pluginId: string, server: express.Express): RequestHandler {
  const enter = ctx.errors.enter(pluginId);
  return (req, res) => enter(() => server(req as express.Request, res as express.Response));
}

export function newServer(): express.Express {
  const server = express();
  server.disable('x-powered-by');
  return server;
}

/** Starts the workers of the plugin's @JobHandler queues; returns what stops them, if it has any. */
export async function startJobWorkers(ctx: ActivationContext, pluginId: string, app: INestApplication, backend: LoadedBackend): Promise<(() => Promise<void>) | undefined> {
  const workers = await ctx.jobs.startWorkers(pluginId, pluginInstances(app, backend.modules));
  return workers && (() => ctx.jobs.stopWorkers(workers));
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
export function guardLifecycleHooks(instances: object[], pluginId: string, ctx: ActivationContext, activation: ActivationStatus): void {
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
          return await withTimeout(
            run,
            ctx.startTimeoutMs,
            () =>
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
