import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBackendRoot, findFrontendRoot } from './plugin-layout';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'appnest-layout-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function files(...paths: string[]): void {
  for (const path of paths) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), path.endsWith('.json') ? '{}' : '');
  }
}

describe('findBackendRoot', () => {
  it('finds the marker at the plugin root', () => {
    files('app.module.ts');
    expect(findBackendRoot(root)).toBe(root);
  });

  it('finds the marker in backend/', () => {
    files('backend/app.module.ts');
    expect(findBackendRoot(root)).toBe(join(root, 'backend'));
  });

  it('accepts a precompiled app.module.js', () => {
    files('backend/app.module.js');
    expect(findBackendRoot(root)).toBe(join(root, 'backend'));
  });

  it('prefers the plugin root over backend/', () => {
    files('app.module.ts', 'backend/app.module.ts');
    expect(findBackendRoot(root)).toBe(root);
  });

  it('prefers backend/ over another folder at the same depth', () => {
    files('aaa/app.module.ts', 'backend/app.module.ts');
    expect(findBackendRoot(root)).toBe(join(root, 'backend'));
  });

  it('takes the shallowest marker, whatever the names', () => {
    files('aaa/deep/app.module.ts', 'zzz/app.module.ts');
    expect(findBackendRoot(root)).toBe(join(root, 'zzz'));
  });

  it.each([['node_modules/some-lib'], ['.hidden'], ['frontend'], ['backend/node_modules/lib']])('never searches %s', (folder) => {
    files(`${folder}/app.module.ts`);
    expect(findBackendRoot(root)).toBeUndefined();
  });

  it('ignores a folder named like the marker', () => {
    mkdirSync(join(root, 'app.module.ts'));
    expect(findBackendRoot(root)).toBeUndefined();
  });
});

describe('findFrontendRoot', () => {
  it('finds frontend/manifest.json beside a backend at the plugin root', () => {
    files('app.module.ts', 'frontend/manifest.json');
    expect(findFrontendRoot(root, root)).toEqual({ dir: join(root, 'frontend'), manifest: join(root, 'frontend/manifest.json') });
  });

  it('finds frontend/.vite/manifest.json', () => {
    files('frontend/.vite/manifest.json');
    expect(findFrontendRoot(root)).toEqual({ dir: join(root, 'frontend'), manifest: join(root, 'frontend/.vite/manifest.json') });
  });

  it('takes the newer of manifest.json and .vite/manifest.json, and manifest.json when both are as old', () => {
    files('frontend/manifest.json', 'frontend/.vite/manifest.json');
    const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
    at('frontend/manifest.json', 1_700_000_000);
    at('frontend/.vite/manifest.json', 1_700_000_000);
    expect(findFrontendRoot(root)?.manifest).toBe(join(root, 'frontend/manifest.json'));
    at('frontend/.vite/manifest.json', 1_700_000_060);
    expect(findFrontendRoot(root)?.manifest).toBe(join(root, 'frontend/.vite/manifest.json'));
    at('frontend/manifest.json', 1_700_000_120);
    expect(findFrontendRoot(root)?.manifest).toBe(join(root, 'frontend/manifest.json'));
  });

  it('finds frontend/ beside a backend/ folder', () => {
    files('backend/app.module.ts', 'frontend/manifest.json');
    expect(findFrontendRoot(root, join(root, 'backend'))?.dir).toBe(join(root, 'frontend'));
  });

  it('prefers a frontend/ inside the backend root to one beside it', () => {
    files('backend/app.module.ts', 'backend/frontend/manifest.json', 'frontend/manifest.json');
    expect(findFrontendRoot(root, join(root, 'backend'))?.dir).toBe(join(root, 'backend/frontend'));
  });

  it('never looks above the plugin folder', () => {
    files('plugin/app.module.ts', 'frontend/manifest.json');
    const plugin = join(root, 'plugin');
    expect(findFrontendRoot(plugin, plugin)).toBeUndefined();
  });

  it('returns nothing for a frontend/ folder without a manifest', () => {
    files('frontend/index.js');
    expect(findFrontendRoot(root)).toBeUndefined();
  });
});
