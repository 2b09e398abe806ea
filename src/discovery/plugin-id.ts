import { PluginError } from '../errors/plugin-error';

/** The one rule for plugin ids. */
export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const RESERVED_PLUGIN_IDS: readonly string[] = ['assets', 'admin', 'api', 'health'];

/** Turns a folder or zip name into a candidate id: lower case, spaces and dots to dashes. */
export function normalisePluginId(raw: string): string {
  return raw
    .trim()
    .replace(/\.zip$/i, '')
    .toLowerCase()
    .replace(/[\s.]+/g, '-');
}

/** Throws PLG_INVALID_ID or PLG_RESERVED_ID when `id` cannot name a plugin. */
export function assertValidPluginId(id: string, source: string): void {
  if (!PLUGIN_ID_PATTERN.test(id)) {
    throw new PluginError('PLG_INVALID_ID', `Plugin id '${id}' (from ${source}) is not valid: it must match ${PLUGIN_ID_PATTERN.source}.`, {
      pluginId: id,
      hint: 'Use lower-case letters, digits, "-" and "_", starting with a letter.',
    });
  }
  if (RESERVED_PLUGIN_IDS.includes(id)) {
    throw new PluginError('PLG_RESERVED_ID', `Plugin id '${id}' (from ${source}) is reserved by the host.`, {
      pluginId: id,
      hint: `Pick another id; ${RESERVED_PLUGIN_IDS.join(', ')} are reserved.`,
    });
  }
}
