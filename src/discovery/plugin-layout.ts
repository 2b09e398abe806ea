import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';

export const MARKER_FILES = ['app.module.ts', 'app.module.js'] as const;
const NEVER_SEARCHED = new Set(['node_modules', 'frontend']);
const MAX_MARKER_DEPTH = 4;

/** The marker file in `dir`, if it holds one (TypeScript preferred over compiled JavaScript). */
export function markerIn(dir: string): string | undefined {
  for (const name of MARKER_FILES) {
    const file = join(dir, name);
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return file;
  }
  return undefined;
}

function searchableChildren(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.') && !NEVER_SEARCHED.has(name))
    .filter((name) => {
      try {
        return statSync(join(dir, name)).isDirectory();
      } catch {
        return false;
      }
    })
    .sort((a, b) => (a === 'backend' ? -1 : b === 'backend' ? 1 : a.localeCompare(b)))
    .map((name) => join(dir, name));
}

/**
 * The backend root of a plugin: the shallowest folder holding the marker, the plugin root first,
 * then `backend/`, then other folders in name order. node_modules, frontend and dot-folders are
 * never searched.
 */
export function findBackendRoot(pluginDir: string): string | undefined {
  let level = [pluginDir];
  for (let depth = 0; depth <= MAX_MARKER_DEPTH && level.length > 0; depth++) {
    for (const dir of level) if (markerIn(dir)) return dir;
    level = level.flatMap(searchableChildren);
  }
  return undefined;
}

/**
 * The Vite manifest in a frontend folder: `manifest.json` or `.vite/manifest.json` (where Vite 5+
 * writes it), whichever exists; the newer of the two when both do (a build beside a stale one).
 */
export function manifestIn(frontendDir: string): string | undefined {
  let found: { path: string; mtimeMs: number } | undefined;
  for (const path of [join(frontendDir, 'manifest.json'), join(frontendDir, '.vite', 'manifest.json')]) {
    try {
      const stat = statSync(path);
      if (stat.isFile() && (!found || stat.mtimeMs > found.mtimeMs)) found = { path, mtimeMs: stat.mtimeMs };
    } catch {
      // absent
    }
  }
  return found?.path;
}

/**
 * The frontend root: `frontend/` beside the backend root (or inside it), else at the plugin root.
 * Returns the folder and its manifest, or undefined when there is no manifest.
 */
export function findFrontendRoot(pluginDir: string, backendRoot?: string): { dir: string; manifest: string } | undefined {
  const candidates = new Set<string>();
  if (backendRoot) {
    candidates.add(join(backendRoot, 'frontend'));
    if (!relative(pluginDir, dirname(backendRoot)).startsWith('..')) candidates.add(join(dirname(backendRoot), 'frontend'));
  }
  candidates.add(join(pluginDir, 'frontend'));
  for (const dir of candidates) {
    const manifest = manifestIn(dir);
    if (manifest) return { dir, manifest };
  }
  return undefined;
}
