/**
 * appnest: the one public entry for plugin authors. `import { ... } from 'appnest'` in plugin
 * code always resolves to the running host's copy.
 */
export { HostInfo } from './host-info';
export { Action, ACTION_METADATA, type ActionContext } from './action.decorator';
export { PluginSettings } from './plugin-settings';
export type { SettingsSource } from './plugin-settings';
export { HostEvents, HOST_EVENTS, type PluginEventPayload } from './host-events';
export { Extension, EXTENSION_POINTS, type ExtensionPoints, type ExtensionPointSpec, type Contribution } from './extension-points';
export { usePluginModule } from './plugin-module';
export { PerInstance } from './per-instance.decorator';
export type {
  PluginDescriptor,
  SettingDescriptor,
  SettingType,
  ActionDescriptor,
  SettingOption,
} from '../discovery/plugin-descriptor';
export type { TestHost, TestHostOptions, TestResponse } from './testing';
