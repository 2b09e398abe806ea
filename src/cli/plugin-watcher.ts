import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, sep } from 'node:path';

/** Paths under a plugin that never need a backend reload: dependencies, dot folders, frontend builds and sources, tests and their Jest config. */
const IGNORED_IN_PLUGIN = new Set(['node_modules', 'frontend', 'web', 'test', 'tests']);

/** true when a change at `path` (relative to the plugins folder) may change what a plugin runs. */
export function affectsBackend(path: string): boolean {
  const segments = path.split(/[\\/]/).filter(Boolean);
  if (segments.length === 0) return true;
  if (segments.some((s) => s.startsWith('.') || s === 'node_modules')) return false;
  if (segments.length > 1 && IGNORED_IN_PLUGIN.has(segments[1])) return false;
  const name = segments[segments.length - 1];
  return !/\.(test|spec|e2e-spec)\.[cm]?[jt]sx?$/.test(name) && !name.startsWith('jest.config.');
}

/**
 * Watches the plugins folder and calls `onChange` once per burst of changes (debounced), with the
 * changed paths. One watcher per folder: Node 20's recursive watch on Linux loses files that an
 * editor replaces by renaming (sed -i, atomic saves); a folder watch sees every rename in it.
 */
export class PluginWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs = 100,
  ) {}

  start(): void {
    this.watchFolder(this.dir, '');
  }

  private watchFolder(dir: string, prefix: string): void {
    if (this.watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, file) => this.changed(`${prefix}${file ? String(file) : ''}`));
    } catch {
      return;
    }
    watcher.on('error', () => this.unwatch(dir));
    this.watchers.set(dir, watcher);
    for (const name of readdirSync(dir)) this.watchIfFolder(join(dir, name), `${prefix}${name}`);
  }

  private watchIfFolder(full: string, path: string): void {
    try {
      if (affectsBackend(path) && statSync(full).isDirectory()) this.watchFolder(full, `${path}${sep}`);
    } catch {
      // gone already: its parent folder's watcher reports the removal
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private changed(path: string): void {
    if (!affectsBackend(path)) return;
    const full = join(this.dir, path);
    if (existsSync(full)) this.watchIfFolder(full, path);
    else for (const watched of this.watchers.keys()) if (watched === full || watched.startsWith(`${full}${sep}`)) this.unwatch(watched);
    this.pending.add(path);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.pending];
      this.pending = new Set();
      this.onChange(paths);
    }, this.debounceMs);
  }

  close(): void {
    clearTimeout(this.timer);
    for (const dir of this.watchers.keys()) this.unwatch(dir);
  }
}
