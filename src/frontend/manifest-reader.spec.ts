import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestReader } from './manifest-reader';

describe('ManifestReader', () => {
  let dir: string;
  let frontendRoot: string;
  let manifestPath: string;
  const plugin = () => ({ id: 'demo', dir, frontendRoot, manifestPath });
  const write = (manifest: unknown, mtime: number) => {
    writeFileSync(manifestPath, typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    utimesSync(manifestPath, mtime, mtime);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appnest-manifest-'));
    frontendRoot = join(dir, 'frontend');
    mkdirSync(frontendRoot);
    manifestPath = join(frontendRoot, 'manifest.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the manifest again once the file changes', () => {
    const reader = new ManifestReader();
    write({ 'a.ts': { file: 'assets/a-Aa11Bb22.js', isEntry: true } }, 1000);
    expect(reader.read(plugin())?.manifest?.entry).toBe('assets/a-Aa11Bb22.js');
    write({ 'a.ts': { file: 'assets/a-Cc33Dd44.js', isEntry: true } }, 2000);
    expect(reader.read(plugin())?.manifest?.entry).toBe('assets/a-Cc33Dd44.js');
  });

  it('finds .vite/manifest.json once a Vite build has replaced manifest.json, without a rescan', () => {
    const reader = new ManifestReader();
    write({ 'src/main.ts': { file: 'assets/main.js', isEntry: true } }, 1000);
    expect(reader.read(plugin())?.manifest?.entry).toBe('assets/main.js');
    rmSync(manifestPath);
    mkdirSync(join(frontendRoot, '.vite'));
    writeFileSync(join(frontendRoot, '.vite', 'manifest.json'), JSON.stringify({ 'src/main.ts': { file: 'assets/main-Aa11Bb22.js', isEntry: true } }));
    expect(reader.read(plugin())?.manifest?.entry).toBe('assets/main-Aa11Bb22.js');
    expect(reader.frontendError(plugin())).toBeNull();
  });

  it('reads the newer manifest when a build left the other one behind', () => {
    const reader = new ManifestReader();
    write({ 'src/main.ts': { file: 'assets/main.js', isEntry: true } }, 1000);
    mkdirSync(join(frontendRoot, '.vite'));
    const built = join(frontendRoot, '.vite', 'manifest.json');
    writeFileSync(built, JSON.stringify({ 'src/main.ts': { file: 'assets/main-Cc33Dd44.js', isEntry: true } }));
    utimesSync(built, 2000, 2000);
    expect(reader.read(plugin())?.manifest?.entry).toBe('assets/main-Cc33Dd44.js');
  });

  it('gives the reason, naming the plugin and the file, as frontendError', () => {
    const reader = new ManifestReader();
    write('nope', 1000);
    expect(reader.frontendError(plugin())).toMatch(/^Plugin 'demo': frontend\/manifest\.json is not valid JSON/);
    write({ 'a.ts': { file: 'a.js', isEntry: true } }, 2000);
    expect(reader.frontendError(plugin())).toBeNull();
  });

  it('refuses a manifest that is a symbolic link', () => {
    writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify({ 'a.ts': { file: 'a.js', isEntry: true } }));
    symlinkSync(join(dir, 'elsewhere.json'), manifestPath);
    expect(new ManifestReader().frontendError(plugin())).toMatch(/symbolic link/);
  });

  it('has nothing to say about a plugin without a frontend', () => {
    const reader = new ManifestReader();
    expect(reader.read({ id: 'demo', dir })).toBeUndefined();
    expect(reader.frontendError(undefined)).toBeNull();
  });
});
