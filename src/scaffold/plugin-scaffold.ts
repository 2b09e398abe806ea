import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HOST_API_VERSION } from '../config/host-version';
import { assertValidPluginId } from '../discovery/plugin-id';
import { PluginError } from '../errors/plugin-error';
import { findHostRoot, hostDependencyRange } from './host-root';
import { pluginNames } from './plugin-names';
import { authoringFiles } from './templates/authoring-templates';
import { backendFiles } from './templates/backend-templates';
import { frontendFiles } from './templates/frontend-templates';

export interface ScaffoldOptions {
  id: string;
  /** The folder the plugin folder is created in (the plugins folder, or --dir). */
  parentDir: string;
  frontend?: boolean;
  /** Migration timestamp (default: now). */
  now?: number;
}

export interface ScaffoldResult {
  dir: string;
  /** Paths written, relative to dir. */
  files: string[];
}

/** Writes a new plugin that the host can enable at once, with a passing test, and optionally a frontend. */
export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const { id } = options;
  assertValidPluginId(id, 'the command line');
  const dir = resolve(options.parentDir, id);
  if (existsSync(dir)) {
    throw new PluginError('PLG_BAD_REQUEST', `Cannot create plugin '${id}': ${dir} already exists.`, { pluginId: id, hint: 'Pick another id, or another folder with --dir <path>.' });
  }
  const hostRoot = findHostRoot();
  const names = pluginNames(id);
  const major = HOST_API_VERSION.split('.')[0];
  const files = {
    ...backendFiles(names, `^${major}.0.0`, options.now ?? Date.now()),
    ...authoringFiles(names, hostRoot, options.frontend === true),
    ...(options.frontend ? frontendFiles(names, hostRoot, { vite: hostDependencyRange(hostRoot, 'vite', '^8.0.0'), vue: hostDependencyRange(hostRoot, 'vue', '^3.5.0') }) : {}),
  };
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { flag: 'wx' });
  }
  return { dir, files: Object.keys(files).sort() };
}
