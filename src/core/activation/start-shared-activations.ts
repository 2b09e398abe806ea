import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { GLOBAL_MODULE_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { RouterModule } from '@nestjs/core';
import { importsOf, isDynamicModule } from '../../loader/module-imports';
import type { LoadedBackend } from '../../loader/plugin-loader';
import { pluginRoutePrefix } from '../../loader/plugin-loader';
import { PluginActivation } from './plugin-activation';
import { SharedApplication, type ActivationStatus } from './shared-application';
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
export async function startSharedActivations(
  ctx: ActivationContext,
  members: { pluginId: string; backend: LoadedBackend }[],
): Promise<{ activations: PluginActivation[]; failures: Map<string, Error> }> {
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
  const shared = new SharedApplication(
    app,
    members.map(({ pluginId, backend }, i) => ({ pluginId, modules: backend.modules, activation: statuses[i] })),
  );
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
