/**
 * @appnest/frontend: the SDK of plugin frontends. The host serves one copy through the page's
 * import map; a plugin bundle marks it (and `vue`) external and never ships its own.
 */
import type { PluginDefinition } from './types';

export { ApiError, createApiClient } from './api-client';
export type * from './types';

/** Types a plugin's default export; returns it unchanged. */
export function definePlugin<T extends PluginDefinition>(definition: T): T {
  return definition;
}
