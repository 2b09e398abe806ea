export type { PluginState } from '../../contracts/plugin-view';
