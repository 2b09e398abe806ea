/** Events the host emits to every active plugin's `@OnEvent` handlers. */
export const HOST_EVENTS = {
  ready: 'host.ready',
  pluginEnabled: 'plugin.enabled',
  pluginDisabled: 'plugin.disabled',
  settingsChanged: 'plugin.settings.changed',
} as const;

export interface PluginEventPayload {
  pluginId: string;
}

/** Emits an event to the `@OnEvent` handlers of every active plugin (this one included). */
export abstract class HostEvents {
  abstract emit(event: string, payload?: unknown): Promise<void>;
}
