import express from 'express';
import { Global, Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { getDataSourceToken, getEntityManagerToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PluginError, toPluginError } from '../errors/plugin-error';
import type { LoadedBackend } from '../loader/plugin-loader';
import { pluginRoutePrefix } from '../loader/plugin-loader';
import type { HostLogger } from '../logging/host-logger';
import { HostInfo } from '../sdk/host-info';
import { EXTENSION_METADATA, EXTENSION_POINTS } from '../sdk/extension-points';
import { HostEvents } from '../sdk/host-events';
import { PluginSettings, type SettingsSource } from '../sdk/plugin-settings';
import { setExportedProvidersResolver, type ExportedProvidersResolver } from '../sdk/plugin-module';
import type { ExtensionRegistry } from './extension-registry';
import { PluginCell, type RequestHandler } from './plugin-cell';
import { guardEventHandlers } from './event-handler-guard';
import { pluginFeatures } from './plugin-features';
import { pluginInstances } from './plugin-instances';
import { guardScheduledTasks, type TaskGate } from './scheduled-task-guard';
import { withTimeout } from './timeout';

export interface CellContext {
  settings: SettingsSource;
  hostInfo: HostInfo;
  dataSource: DataSource;
  startTimeoutMs: number;
  logger: HostLogger;
  taskGate: TaskGate;
  extensions: ExtensionRegistry;
  /** Emits an event to every active plugin. */
  emit: (event: string, payload: unknown) => Promise<void>;
  /** The running instances a dependency's root module exports (for usePluginModule). */
  exportsOf: ExportedProvidersResolver;
}

@Global()
@Module({})
class AppnestSdkModule {}

@Module({})
class PluginCellRootModule {}

const START_HOOKS = ['onModuleInit', 'onApplicationBootstrap'] as const;
const STOP_HOOKS = ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const;

/** Starts one plugin as its own Nest application. Any failure is the plugin's, with its id. */
export async function startPluginCell(ctx: CellContext, pluginId: string, backend: LoadedBackend, dependencies: Map<string, PluginCell>): Promise<PluginCell> {
  const events: HostEvents = { emit: (event, payload) => ctx.emit(event, payload) };
  const providers = [
    { provide: HostInfo, useValue: ctx.hostInfo },
    { provide: PluginSettings, useValue: new PluginSettings(ctx.settings, pluginId) },
    { provide: getDataSourceToken(), useValue: ctx.dataSource },
    { provide: getEntityManagerToken(), useValue: ctx.dataSource.manager },
    { provide: EXTENSION_POINTS, useValue: ctx.extensions.bind(pluginId) },
    { provide: HostEvents, useValue: events },
  ];
  const sdk: DynamicModule = { module: AppnestSdkModule, global: true, providers, exports: providers.map((p) => p.provide as never) };
  const features = pluginFeatures(backend.modules);
  const root: DynamicModule = {
    module: PluginCellRootModule,
    imports: [
      sdk,
      ...(features.schedule ? [ScheduleModule.forRoot()] : []),
      ...(features.events ? [EventEmitterModule.forRoot({ wildcard: false })] : []),
      backend.moduleClass as Type<unknown>,
    ],
  };
  const server = express();
  server.disable('x-powered-by');
  let app: INestApplication | undefined;
  try {
    setExportedProvidersResolver(ctx.exportsOf);
    try {
      app = await withTimeout(
        NestFactory.create(root, new ExpressAdapter(server), { logger: ctx.logger.child('nest').forNest(), abortOnError: false }),
        ctx.startTimeoutMs,
        () => new PluginError('PLG_START_TIMEOUT', `Plugin '${pluginId}' did not finish creating its providers within ${ctx.startTimeoutMs} ms.`, { pluginId }),
      );
    } finally {
      setExportedProvidersResolver(undefined);
    }
    app.setGlobalPrefix(pluginRoutePrefix(pluginId));
    guardLifecycleHooks(app, pluginId, backend.modules, ctx);
    guardScheduledTasks(app, pluginId, backend.modules, ctx.taskGate, ctx.logger);
    guardEventHandlers(app, pluginId, backend.modules, ctx.logger);
    await app.init();
    contributeExtensions(ctx.extensions, pluginId, app, backend.modules);
  } catch (err) {
    ctx.extensions.remove(pluginId);
    await app?.close().catch(() => undefined);
    throw toPluginError(err, 'PLG_START_FAILED', pluginId, 'failed to start');
  }
  return new PluginCell(pluginId, app, server as unknown as RequestHandler, backend, dependencies);
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
 */
function guardLifecycleHooks(app: INestApplication, pluginId: string, modules: Function[], ctx: CellContext): void {
  for (const instance of pluginInstances(app, modules) as Record<string, unknown>[]) {
    for (const hook of [...START_HOOKS, ...STOP_HOOKS]) {
      const original = instance[hook];
      if (typeof original !== 'function') continue;
      const starting = (START_HOOKS as readonly string[]).includes(hook);
      const owner = (instance.constructor as Function | undefined)?.name ?? 'provider';
      instance[hook] = async (...args: unknown[]) => {
        const run = Promise.resolve().then(() => (original as Function).apply(instance, args));
        try {
          return await withTimeout(run, ctx.startTimeoutMs, () =>
            new PluginError('PLG_START_TIMEOUT', `Plugin '${pluginId}': ${owner}.${hook}() did not finish within ${ctx.startTimeoutMs} ms.`, {
              pluginId,
              hint: 'Make the hook finish sooner (or move long work out of it), or raise APPNEST_START_TIMEOUT_MS.',
            }),
          );
        } catch (err) {
          const error = err instanceof PluginError ? err : toPluginError(err, 'PLG_START_FAILED', pluginId, `threw in ${owner}.${hook}()`);
          if (starting) throw error;
          ctx.logger.error(error.message);
        }
      };
    }
  }
}
