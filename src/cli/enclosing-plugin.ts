import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { markerIn } from '../discovery/plugin-layout';
import { PluginError } from '../errors/plugin-error';

/**
 * The plugin folder the CLI runs in (the working folder or one above it: a folder with a
 * plugin.json, or an app.module.ts at its root or in backend/), or undefined.
 */
export function enclosingPlugin(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'plugin.json')) || markerIn(dir) || markerIn(join(dir, 'backend'))) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}

/** The folders above a plugin where a host's default data folder would be (`<folder>/data`), nearest first. */
export function dataFoldersAbove(pluginDir: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(pluginDir); ; dir = dirname(dir)) {
    out.push(join(dir, 'data'));
    if (dir === dirname(dir)) return out;
  }
}

/** Refuses to create a host (its data folder, admin token and database) inside a plugin folder. */
export function hostInsidePlugin(pluginDir: string, command: string): PluginError {
  return new PluginError(
    'PLG_HOST_INSIDE_PLUGIN',
    `'appnest ${command}' runs inside the plugin folder ${pluginDir}, where no host runs; it will not create one there (a data folder with an admin token and a database would end up in the plugin).`,
    {
      hint: "Start the host in its own folder (appnest start), then run the command again here; or run it from the host folder, or set APPNEST_DATA_DIR and APPNEST_PLUGINS_DIR to the host's.",
    },
  );
}
