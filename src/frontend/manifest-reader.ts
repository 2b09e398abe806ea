import { lstatSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { manifestIn } from '../discovery/plugin-layout';
import { FrontendManifest, FrontendManifestError } from './frontend-manifest';

/** The parts of a discovered plugin the reader needs. */
export interface FrontendSource {
  id: string;
  dir: string;
  frontendRoot?: string;
  manifestPath?: string;
}

export type FrontendCheck = { manifest: FrontendManifest; error?: undefined } | { manifest?: undefined; error: string };

interface CacheEntry {
  stamp: string;
  check: FrontendCheck;
}

/**
 * Reads plugins' Vite manifests, cached until the file changes (size, mtime or inode), so the
 * SPA list and every asset request cost one lstat.
 */
export class ManifestReader {
  private readonly cache = new Map<string, CacheEntry>();

  /**
   * The manifest of a plugin with a frontend, or the reason it cannot be served. The manifest is
   * looked up again in the frontend folder on each read: a Vite build replaces `manifest.json`
   * with `.vite/manifest.json` (or back) without any rescan of the plugins.
   */
  read(plugin: FrontendSource): FrontendCheck | undefined {
    const { frontendRoot } = plugin;
    if (!plugin.manifestPath || !frontendRoot) return undefined;
    const manifestPath = manifestIn(frontendRoot) ?? plugin.manifestPath;
    const where = `Plugin '${plugin.id}': ${relative(plugin.dir, manifestPath) || manifestPath}`;
    let stamp: string;
    try {
      const stat = lstatSync(manifestPath);
      if (stat.isSymbolicLink()) return { error: `${where} is a symbolic link; the manifest must be a plain file in the frontend folder.` };
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch (err) {
      return { error: `${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).` };
    }
    const cached = this.cache.get(manifestPath);
    if (cached?.stamp === stamp) return cached.check;
    let check: FrontendCheck;
    try {
      check = { manifest: FrontendManifest.parse(readFileSync(manifestPath, 'utf8'), where) };
    } catch (err) {
      if (!(err instanceof FrontendManifestError)) throw err;
      check = { error: err.message };
    }
    this.cache.set(manifestPath, { stamp, check });
    return check;
  }

  /** Why the plugin's frontend is invalid, or null when it is fine or the plugin has none. */
  frontendError(plugin: FrontendSource | undefined): string | null {
    return (plugin && this.read(plugin)?.error) ?? null;
  }
}

/** The host's one reader: the SPA list, the asset route and the admin view share its cache. */
export const manifestReader = new ManifestReader();
