import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, isAbsolute, basename } from 'node:path';
import { PluginError } from '../errors/plugin-error';
import { assertValidPluginId, normalisePluginId } from './plugin-id';
import { parseDescriptor, type PluginDescriptor } from './plugin-descriptor';
import { byName } from './plugin-files';
import { findBackendRoot, findFrontendRoot, markerIn, manifestIn } from './plugin-layout';

import type { PluginSource } from '../contracts/plugin-view';

export type { PluginSource } from '../contracts/plugin-view';

/** What the scanner knows about one plugin folder, without running any of its code. */
export interface DiscoveredPlugin {
  id: string;
  dir: string;
  source: PluginSource;
  descriptor: PluginDescriptor;
  /** true when the folder has no plugin.json. */
  legacy: boolean;
  name: string;
  version: string;
  backendRoot?: string;
  /** The marker file (app.module.ts or app.module.js) inside backendRoot. */
  markerFile?: string;
  frontendRoot?: string;
  manifestPath?: string;
  /** Set when the folder cannot become a plugin (bad descriptor, no entry point). */
  error?: PluginError;
}

export interface ScanResult {
  plugins: DiscoveredPlugin[];
  /** Folders refused outright (duplicate id, invalid id, symlink leaving the folder). */
  rejected: { dir: string; error: PluginError }[];
  /** .zip files waiting in the plugins folder, to be installed through the archive installer. */
  archives: string[];
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Reads one plugin folder. Never throws for problems of the plugin: they land in `error`. */
export function readPluginFolder(dir: string, source: PluginSource, fallbackId = basename(dir)): DiscoveredPlugin {
  const descriptorFile = join(dir, 'plugin.json');
  let descriptor: PluginDescriptor = {};
  let legacy = true;
  let error: PluginError | undefined;
  let text: string | undefined;
  let unreadable: unknown;
  try {
    text = readFileSync(descriptorFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable = err;
  }
  if (text !== undefined || unreadable) {
    legacy = false;
    const file = `${basename(dir)}/plugin.json`;
    try {
      if (unreadable) throw unreadable;
      descriptor = parseDescriptor(text!, file);
    } catch (err) {
      error = err instanceof PluginError ? err : new PluginError('PLG_INVALID_DESCRIPTOR', `${file}: cannot be read (${(err as Error).message})`, { cause: err });
    }
  }
  const id = descriptor.id ?? normalisePluginId(fallbackId);
  assertValidPluginId(id, descriptor.id !== undefined ? `${basename(dir)}/plugin.json` : `folder '${basename(dir)}'`);

  let backendRoot: string | undefined;
  let frontend: { dir: string; manifest: string } | undefined;
  if (source === 'frontend-plugins') {
    const manifest = manifestIn(dir);
    frontend = manifest ? { dir, manifest } : findFrontendRoot(dir);
  } else {
    backendRoot = findBackendRoot(dir);
    frontend = findFrontendRoot(dir, backendRoot);
  }
  if (!error && !backendRoot && !frontend) {
    error = new PluginError('PLG_NO_ENTRY', `Plugin '${id}' has no backend marker (app.module.ts) and no frontend manifest (frontend/manifest.json).`, {
      pluginId: id,
      hint: 'Add app.module.ts at the plugin root or in backend/, or a Vite build in frontend/.',
    });
  }
  if (error && !error.pluginId) {
    error = new PluginError(error.code, `Plugin '${id}': ${error.message}`, { pluginId: id, hint: error.hint, cause: error.cause });
  }
  return {
    id,
    dir,
    source,
    descriptor,
    legacy,
    name: descriptor.name ?? id,
    version: descriptor.version ?? '0.0.0',
    backendRoot,
    markerFile: backendRoot ? markerIn(backendRoot) : undefined,
    frontendRoot: frontend?.dir,
    manifestPath: frontend?.manifest,
    error,
  };
}

/** Scans the plugins folder and the frontend-only folder, in sorted order. Plain file reads only. */
export class PluginScanner {
  constructor(
    private readonly pluginsDir: string,
    private readonly frontendPluginsDir?: string,
  ) {}

  scan(): ScanResult {
    const result: ScanResult = { plugins: [], rejected: [], archives: [] };
    const seen = new Map<string, string>();
    this.scanFolder(this.pluginsDir, 'plugins', result, seen);
    if (this.frontendPluginsDir) this.scanFolder(this.frontendPluginsDir, 'frontend-plugins', result, seen);
    return result;
  }

  private scanFolder(root: string, source: PluginSource, result: ScanResult, seen: Map<string, string>): void {
    if (!existsSync(root)) return;
    const realRoot = realpathSync(root);
    // Entries with their types: no lstat per folder.
    for (const stat of byName(readdirSync(root, { withFileTypes: true }))) {
      const name = stat.name;
      if (name.startsWith('.')) continue;
      const dir = join(root, name);
      if (stat.isFile()) {
        if (source === 'plugins' && name.toLowerCase().endsWith('.zip')) result.archives.push(dir);
        continue;
      }
      if (stat.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(dir);
        } catch {
          continue;
        }
        if (!isInside(realRoot, target)) {
          result.rejected.push({
            dir,
            error: new PluginError('PLG_SYMLINK_OUTSIDE', `Plugin folder '${name}' is a link to ${target}, outside ${root}; it is ignored.`, {
              hint: 'Copy the plugin into the plugins folder instead of linking it.',
            }),
          });
          continue;
        }
        if (!statSync(target).isDirectory()) continue;
      } else if (!stat.isDirectory()) {
        continue;
      }
      let plugin: DiscoveredPlugin;
      try {
        plugin = readPluginFolder(dir, source, name);
      } catch (err) {
        result.rejected.push({ dir, error: err as PluginError });
        continue;
      }
      const first = seen.get(plugin.id);
      if (first) {
        result.rejected.push({
          dir,
          error: new PluginError('PLG_DUPLICATE_ID', `Plugin id '${plugin.id}' in '${dir}' is already used by '${first}'; the second is ignored.`, {
            pluginId: plugin.id,
            hint: 'Give one of them another "id" in plugin.json, or remove the copy.',
          }),
        });
        continue;
      }
      seen.set(plugin.id, dir);
      result.plugins.push(plugin);
    }
  }
}
