/**
 * appnest: the one public entry for plugin authors. `import { ... } from 'appnest'` in plugin
 * code always resolves to the running host's copy. Test helpers live in `appnest/testing`.
 */

/** Facts about the host: plugin API version, database kind, instance id. Injectable. */
export { HostInfo } from './host-info';
/** `@Action('id')` marks a provider method as a plugin.json action; it receives `(params, ActionContext)`. */
export { Action, type ActionContext } from './action.decorator';
/** The plugin's current settings, defaults merged, live after an admin saves them. Injectable. */
export { PluginSettings } from './plugin-settings';
/** Host events (`host.ready`, `plugin.enabled`, ...) for `@OnEvent`, and a service to emit events to every active plugin. */
export { HostEvents, HOST_EVENTS, type PluginEventPayload } from './host-events';
/** Extension points: declare with required members, contribute (or `@Extension('point')`), list the live implementations. */
export { Extension, EXTENSION_POINTS, type ExtensionPoints, type ExtensionPointSpec, type Contribution } from './extension-points';
/** Imports what a dependency's root module exports, as its running instances. */
export { usePluginModule } from './plugin-module';
/** Opts a scheduled method out of once-per-cluster runs. */
export { PerInstance } from './per-instance.decorator';
/** `@HealthCheck({ timeoutMs })` marks a provider method as the plugin's health check (GET /api/health). */
export { HealthCheck, type HealthCheckResult, type HealthCheckOptions, type HealthStatus } from './health-check.decorator';
/** The plugin.json types. */
export type { PluginDescriptor, SettingDescriptor, SettingType, ActionDescriptor, SettingOption } from '../discovery/plugin-descriptor';
/** Background jobs: `@JobHandler('<queue>')` on a provider method, and the injectable `JobQueue` to send them (also inside a TypeORM transaction). */
export { JobHandler, type JobHandlerOptions } from '../jobs/job-handler.decorator';
export { JobQueue, type SendJobOptions, type QueuedJob } from '../jobs/job-queue';
export type { JobContext } from '../jobs/job-context';
