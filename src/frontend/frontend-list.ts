import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { manifestReader } from './manifest-reader';

/** What the frontend list needs to know of a plugin. */
export interface FrontendSource {
  id: string;
  state: string;
  discovered?: DiscoveredPlugin;
}

/** One entry of `GET /api/plugins`: what the SPA needs to load a plugin's frontend. */
export interface FrontendListing {
  id: string;
  name: string;
  version: string;
  entry: string;
  cssEntries: string[];
}

export const assetBase = (pluginId: string): string => `/api/plugins/assets/${pluginId}/`;

/** Active plugins whose manifest is valid, by id; a plugin with an invalid manifest is skipped. */
export function listFrontends(entries: Iterable<FrontendSource>): FrontendListing[] {
  const out: FrontendListing[] = [];
  for (const entry of [...entries].sort((a, b) => a.id.localeCompare(b.id))) {
    const plugin = entry.discovered;
    if (entry.state !== 'active' || !plugin) continue;
    const manifest = manifestReader.read(plugin)?.manifest;
    if (!manifest) continue;
    const base = assetBase(entry.id);
    out.push({ id: entry.id, name: plugin.name, version: plugin.version, entry: base + manifest.entry, cssEntries: manifest.css.map((file) => base + file) });
  }
  return out;
}

/** For the admin view (`frontendError`): why a plugin's frontend manifest is unusable, or null. */
export function frontendErrorOf(entry: FrontendSource): string | null {
  return manifestReader.frontendError(entry.discovered);
}
