import { AsyncLocalStorage } from 'node:async_hooks';

/** Whose code runs: the plugin, and the host's tracker its stray errors are reported to. */
export interface PluginScopeEntry {
  pluginId: string;
  owner: object;
}

const storage = new AsyncLocalStorage<PluginScopeEntry>();

/** Runs `work` (and every timer, promise and callback it schedules) as the plugin's code. */
export type EnterScope = <T>(work: () => T) => T;

export const OUTSIDE_PLUGINS: EnterScope = (work) => work();

export function enterPluginScope(entry: PluginScopeEntry): EnterScope {
  return (work) => storage.run(entry, work);
}

/** The plugin whose request, task, event handler or hook the current code descends from. */
export function currentPluginScope(): PluginScopeEntry | undefined {
  return storage.getStore();
}
