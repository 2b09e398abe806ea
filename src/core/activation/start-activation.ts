import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { LoadedBackend } from '../../loader/plugin-loader';
import { pluginRoutePrefix } from '../../loader/plugin-loader';
import { PluginActivation } from './plugin-activation';
import { withTimeout } from './timeout';
import {
  type ActivationContext,
  AppnestSdkModule,
  ActivationRootModule,
  hostProviders,
  pluginProviders,
  sdkModule,
  createApplication,
  featureModules,
  guardPlugin,
  scopedHandler,
  newServer,
  startJobWorkers,
  contributeExtensions,
} from './application-parts';

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

/**
 * Runs the plugin's `configure(app)` (what its main.ts did: global pipes, filters, interceptors,
 * CORS, Swagger) on its own application, so it reaches the plugin's routes alone.
 */
async function configureApplication(ctx: ActivationContext, pluginId: string, app: INestApplication, configure: NonNullable<LoadedBackend['configure']>): Promise<void> {
  const run = Promise.resolve().then(() => configure(app));
  await withTimeout(run, ctx.startTimeoutMs, () => new PluginError('PLG_START_TIMEOUT', `Plugin '${pluginId}': configure(app) did not finish within ${ctx.startTimeoutMs} ms.`, { pluginId })).catch(
    (err: unknown) => {
      throw toPluginError(err, 'PLG_START_FAILED', pluginId, 'threw in configure(app)');
    },
  );
}
