import { createApiClient, type PluginHost } from '@appnest/frontend';
import { notify } from './notifications';
import { navigate, pluginPagePath } from './router';
import { pluginSession, session } from './session';

/** The host object one plugin gets: its API client under /api/plugins/<id>, bound to the admin session. */
export function createPluginHost(pluginId: string): PluginHost {
  return Object.freeze({
    pluginId,
    api: createApiClient(`/api/plugins/${pluginId}`, session.token),
    session: pluginSession,
    pagePath: (route: string) => pluginPagePath(pluginId, route),
    navigate: (to: string) => navigate(to),
    notify,
  });
}
