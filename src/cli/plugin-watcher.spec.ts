import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { affectsBackend, PluginWatcher } from './plugin-watcher';

describe('affectsBackend', () => {
  it('reloads for plugin sources, new plugin folders and descriptors', () => {
    for (const path of ['demo', 'demo/app.module.ts', 'demo/backend/notes.service.ts', 'demo/migrations/1-init.ts', 'demo/plugin.json']) expect([path, affectsBackend(path)]).toEqual([path, true]);
  });

  it('ignores dependencies, dot folders, the frontend, its sources and tests', () => {
    for (const path of [
      'demo/node_modules/x/index.js',
      '.staging/stage-1/demo/a.ts',
      'demo/.git/HEAD',
      'demo/frontend/manifest.json',
      'demo/web/src/main.ts',
      'demo/test/demo.test.ts',
      'demo/items.spec.ts',
      'demo/backend/items.e2e-spec.ts',
      'demo/jest.config.js',
    ]) {
      expect([path, affectsBackend(path)]).toEqual([path, false]);
    }
  });
});

describe('PluginWatcher', () => {
  let dir: string;
  let watcher: PluginWatcher | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appnest-watch-'));
    mkdirSync(join(dir, 'demo', 'frontend'), { recursive: true });
    writeFileSync(join(dir, 'demo', 'app.module.ts'), 'export {};\n');
  });
  afterEach(() => {
    watcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a watcher and resolves with the paths of its first callback. */
  const nextChange = (debounceMs = 50) =>
    new Promise<string[]>((resolve) => {
      watcher = new PluginWatcher(dir, resolve, debounceMs);
      watcher.start();
    });

  it('reports a burst of saves once, after the debounce', async () => {
    const calls: string[][] = [];
    watcher = new PluginWatcher(dir, (paths) => calls.push(paths), 80);
    watcher.start();
    writeFileSync(join(dir, 'demo', 'app.module.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'demo', 'app.module.ts'), 'export const a = 2;\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual([[join('demo', 'app.module.ts')]]);
  });

  it('sees a file an editor replaces by renaming, again and again', async () => {
    for (const round of [1, 2, 3]) {
      const change = nextChange();
      writeFileSync(join(dir, 'demo', `.app.module.ts.swp${round}`), `export const round = ${round};\n`);
      renameSync(join(dir, 'demo', `.app.module.ts.swp${round}`), join(dir, 'demo', 'app.module.ts'));
      expect(await change).toContain(join('demo', 'app.module.ts'));
      watcher!.close();
    }
  });

  it('watches folders created after it started', async () => {
    const created = nextChange();
    mkdirSync(join(dir, 'demo', 'services'));
    await created;
    watcher!.close();
    const inside = nextChange();
    writeFileSync(join(dir, 'demo', 'services', 'items.service.ts'), 'export {};\n');
    expect(await inside).toEqual([join('demo', 'services', 'items.service.ts')]);
  });

  it('does not reload for a frontend build', async () => {
    const calls: string[][] = [];
    watcher = new PluginWatcher(dir, (paths) => calls.push(paths), 30);
    watcher.start();
    writeFileSync(join(dir, 'demo', 'frontend', 'manifest.json'), '{}');
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual([]);
  });
});
