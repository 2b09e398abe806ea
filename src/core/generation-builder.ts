import express from 'express';
import { Global, Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { ModulesContainer, NestFactory, RouterModule } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScheduleModule } from '@nestjs/schedule';
import { connectionOptions } from '../database/host-database';
import { PluginError, toPluginError } from '../errors/plugin-error';
import type { LoadedBackend } from '../loader/plugin-loader';
import { pluginRoutePrefix } from '../loader/plugin-loader';
import type { HostLogger } from '../logging/host-logger';
import { AdminPluginsController } from '../http/admin-plugins.controller';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { APPNEST_HOST } from '../http/host-tokens';
import { PublicController } from '../http/public.controller';
import { HostInfo } from '../sdk/host-info';
import { PluginSettings } from '../sdk/plugin-settings';
import { Generation, type RequestHandler } from './generation';
import { withTimeout } from './timeout';

export interface GenerationPlugin {
  id: string;
  backend?: LoadedBackend;
}

export interface GenerationContext {
  host: object;
  hostInfo: HostInfo;
  databaseUrl: string;
  startTimeoutMs: number;
  logger: HostLogger;
}

/** Thrown when a generation cannot start; `pluginId` is set when the fault is one plugin's. */
export class GenerationFailure extends Error {
  constructor(
    readonly pluginError: PluginError,
    readonly pluginId: string | undefined,
  ) {
    super(pluginError.message, { cause: pluginError });
  }
}

@Global()
@Module({})
class AppnestSdkModule {}

@Module({})
class HostApiModule {}

@Module({})
class GenerationRootModule {}

const START_HOOKS = ['onModuleInit', 'onApplicationBootstrap'] as const;
const STOP_HOOKS = ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const;

let nextGeneration = 1;

/** Builds, wires and initialises one generation off to the side; the caller swaps it in. */
export async function buildGeneration(ctx: GenerationContext, plugins: GenerationPlugin[]): Promise<Generation> {
  const backends = plugins.filter((p): p is Required<GenerationPlugin> => !!p.backend);
  const entities = backends.flatMap((p) => p.backend.entities.map((e) => e.target));
  const sdk: DynamicModule = {
    module: AppnestSdkModule,
    global: true,
    providers: [{ provide: APPNEST_HOST, useValue: ctx.host }, { provide: HostInfo, useValue: ctx.hostInfo }, PluginSettings],
    exports: [APPNEST_HOST, HostInfo, PluginSettings],
  };
  const hostApi: DynamicModule = { module: HostApiModule, controllers: [PublicController, AdminPluginsController], providers: [AdminTokenGuard] };
  const imports: NonNullable<DynamicModule['imports']> = [sdk, hostApi];
  if (backends.length) {
    imports.push(
      TypeOrmModule.forRoot({ ...connectionOptions(ctx.databaseUrl, 10), entities, retryAttempts: 1, retryDelay: 0 }),
      ScheduleModule.forRoot(),
      ...backends.map((p) => p.backend.moduleClass as Type<unknown>),
      RouterModule.register(backends.flatMap((p) => p.backend.modules.map((module) => ({ path: pluginRoutePrefix(p.id), module: module as never })))),
    );
  }
  const root: DynamicModule = { module: GenerationRootModule, imports };
  const ownerOfModule = new Map<Function, string>(backends.flatMap((p) => p.backend.modules.map((m) => [m, p.id] as const)));

  const number = nextGeneration++;
  const server = express();
  server.disable('x-powered-by');
  let app: INestApplication | undefined;
  try {
    app = await withTimeout(
      NestFactory.create(root, new ExpressAdapter(server), { logger: ctx.logger.forNest(), abortOnError: false, bodyParser: true }),
      ctx.startTimeoutMs,
      () => new PluginError('PLG_START_TIMEOUT', `Building generation ${number} took longer than ${ctx.startTimeoutMs} ms.`),
    );
    guardLifecycleHooks(app, ownerOfModule, ctx);
    await app.init();
  } catch (err) {
    if (app) await app.close().catch(() => undefined);
    const pluginId = blame(err, backends);
    const error = toPluginError(err, 'PLG_START_FAILED', pluginId, 'failed to start');
    throw new GenerationFailure(error, pluginId ?? error.pluginId);
  }
  const codeVersions = new Map<string, unknown>(plugins.map((p) => [p.id, p.backend?.code]));
  return new Generation(number, app, server as unknown as RequestHandler, plugins.map((p) => p.id), codeVersions);
}

/**
 * Wraps every lifecycle hook of every plugin provider: a start hook that throws or outlives the
 * start timeout fails its plugin (by name); a stop hook that does is logged and does not block.
 */
function guardLifecycleHooks(app: INestApplication, ownerOfModule: Map<Function, string>, ctx: GenerationContext): void {
  for (const moduleRef of app.get(ModulesContainer).values()) {
    const pluginId = ownerOfModule.get(moduleRef.metatype as Function);
    if (!pluginId) continue;
    const wrappers = [...moduleRef.providers.values(), ...moduleRef.controllers.values()];
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const hook of [...START_HOOKS, ...STOP_HOOKS]) {
        const original = instance[hook];
        if (typeof original !== 'function') continue;
        const starting = (START_HOOKS as readonly string[]).includes(hook);
        const owner = (instance.constructor as Function | undefined)?.name ?? 'provider';
        instance[hook] = async (...args: unknown[]) => {
          const run = Promise.resolve().then(() => (original as Function).apply(instance, args));
          try {
            return await withTimeout(run, ctx.startTimeoutMs, () =>
              new PluginError(starting ? 'PLG_START_TIMEOUT' : 'PLG_START_FAILED', `Plugin '${pluginId}': ${owner}.${hook}() did not finish within ${ctx.startTimeoutMs} ms.`, {
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
}

/** Which plugin an error of a generation build comes from: its id, a plugin file in the stack, or a class name. */
function blame(err: unknown, backends: Required<GenerationPlugin>[]): string | undefined {
  const texts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PluginError && e.pluginId) return e.pluginId;
    if (e instanceof Error) texts.push(`${e.message}\n${e.stack ?? ''}`);
  }
  const text = texts.join('\n');
  const byFile = backends.find((p) => text.includes(`${p.backend.code.pluginDir}/`));
  if (byFile) return byFile.id;
  const byClass = backends.filter((p) => [...p.backend.code.ownClasses].some((cls) => cls.name.length > 2 && new RegExp(`\\b${cls.name}\\b`).test(text)));
  return byClass.length === 1 ? byClass[0].id : undefined;
}
