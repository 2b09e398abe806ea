import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** A folder's entries (read with their types), sorted by name as `readdir().sort()` sorts names. */
export function byName<T extends Dirent>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Dot entries a plugin ships; every other one (.git, .env, .DS_Store, ...) stays home. */
const KEPT_DOT_ENTRIES = new Set(['.vite']);

/** true for entries that never belong in a plugin archive: node_modules, dot entries but `.vite`, zips. */
export function isNeverShipped(name: string, isDirectory: boolean): boolean {
  if (name === 'node_modules') return true;
  if (name.startsWith('.') && !KEPT_DOT_ENTRIES.has(name)) return true;
  return !isDirectory && name.toLowerCase().endsWith('.zip');
}

/**
 * The files of a plugin folder, as sorted `/`-separated paths relative to it, without what is
 * never shipped and without what `skip` leaves out (given the relative path).
 */
export function listPluginFiles(dir: string, skip: (path: string, isDirectory: boolean) => boolean = () => false): string[] {
  const files: string[] = [];
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const isDirectory = statSync(join(folder, name)).isDirectory();
      const path = `${prefix}${name}`;
      if (isNeverShipped(name, isDirectory) || skip(path, isDirectory)) continue;
      if (isDirectory) walk(join(folder, name), `${path}/`);
      else files.push(path);
    }
  };
  walk(dir, '');
  return files;
}
