import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { fingerprintFolder } from '../core/registry/plugin-entry';
import { PluginCompiler } from './plugin-compiler';
import { PluginLoader } from './plugin-loader';

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'appnest-compiler-'));
  dataDir = join(root, 'data');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: string): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const classSource = (name: string) => `export class ${name} { constructor(private readonly value: number) {} get(): number { return this.value; } }\n`;

function cacheEntries(extension = '.js'): string[] {
  const dir = join(dataDir, 'compile-cache');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(extension));
}

describe('PluginCompiler.precompile', () => {
  it('compiles every file once; compile() serves the code at once, and the disk gets it at flushCaches()', async () => {
    const files = Array.from({ length: 12 }, (_, i) => write(`p/src/file${i}.ts`, classSource(`C${i}`)));
    const compiler = new PluginCompiler(dataDir);

    expect(await compiler.precompile(files)).toBe(12);
    expect(await compiler.precompile(files)).toBe(0);
    const code = compiler.compile(files[3], 'p');
    expect(code).toContain('class C3');
    expect(code).not.toContain('private readonly');
    expect(cacheEntries()).toHaveLength(0);

    await compiler.flushCaches();
    expect(cacheEntries()).toHaveLength(12);
    expect(cacheEntries('.tmp')).toHaveLength(0);
    const another = new PluginCompiler(dataDir);
    expect(await another.precompile(files)).toBe(0);
    expect(another.compile(files[3], 'p')).toBe(code);
  });

  it('writes its entries by itself once loading has been quiet for a second', async () => {
    const files = [write('p/a.ts', classSource('A')), write('p/b.ts', classSource('B'))];
    const compiler = new PluginCompiler(dataDir);
    expect(await compiler.precompile(files)).toBe(2);
    expect(cacheEntries()).toHaveLength(0);
    const deadline = Date.now() + 10_000;
    while (cacheEntries().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(cacheEntries()).toHaveLength(2);
  });

  it('leaves out a file that does not compile or has vanished, and compile() reports it with file and line', async () => {
    const good = write('p/good.ts', classSource('Good'));
    const broken = write('p/broken.ts', 'export class Broken {\n  method( {\n}\n');
    const compiler = new PluginCompiler(dataDir);

    expect(await compiler.precompile([good, broken, join(root, 'p/vanished.ts')])).toBe(1);
    await compiler.flushCaches();
    expect(cacheEntries()).toHaveLength(1);

    let error: unknown;
    try {
      compiler.compile(broken, 'p');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).code).toBe('PLG_COMPILE_FAILED');
    expect((error as PluginError).message).toMatch(/broken\.ts:\d+:\d+/);
  });
});

describe('PluginCompiler with the digests of a scan', () => {
  it('finds the code of a file by its scanned digest without reading it, and reads the file when the digest is unknown', async () => {
    const dir = join(root, 'plugins', 'demo');
    const file = write('plugins/demo/a.ts', classSource('A'));
    const { files } = await fingerprintFolder(dir);
    const digest = files.get(file)!;
    expect(digest).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    const compiler = new PluginCompiler(dataDir);
    const code = compiler.compiled(file, 'demo', digest).code;
    await compiler.flushCaches();

    // Changed on disk after the scan: the scanned digest still names the code of the scanned file,
    // which is what the fingerprint (and so the registry) says is loaded.
    writeFileSync(file, classSource('Changed'));
    const again = new PluginCompiler(dataDir);
    expect(again.compiled(file, 'demo', digest).code).toBe(code);
    expect(await again.precompile([file], () => digest)).toBe(0);
    // Without the digest, or with one that has no entry, the file is read and compiled as it is now.
    expect(again.compiled(file, 'demo').code).toContain('class Changed');
    expect(again.compiled(file, 'demo', 'f'.repeat(64)).code).toContain('class Changed');
    rmSync(file);
    expect(again.compiled(file, 'demo', digest).code).toBe(code);
    expect(() => again.compiled(file, 'demo')).toThrow(/ENOENT/);
  });
});

describe('PluginCompiler code caches', () => {
  it("keeps V8's code cache of a loaded file beside its compiled code, which a later start can use", async () => {
    const file = write('p/c.ts', classSource('Cached'));
    const compiler = new PluginCompiler(dataDir);
    const compiled = compiler.compiled(file, 'p');
    expect(compiler.codeCacheOf(compiled)).toBeUndefined();

    const wrapper = `(function (exports) {${compiled.code}\n})`;
    const script = new Script(wrapper, { filename: file });
    compiler.keepCodeCache(compiled, script);
    await compiler.flushCaches();

    expect(cacheEntries('.v8')).toHaveLength(1);
    const again = new PluginCompiler(dataDir);
    const data = again.codeCacheOf(again.compiled(file, 'p'));
    expect(data).toEqual(readFileSync(`${compiled.cacheFile}.v8`));
    expect(new Script(wrapper, { filename: file, cachedData: data }).cachedDataRejected).toBe(false);
  });
});

describe('PluginLoader.precompile', () => {
  it('compiles the backend sources a start imports, not dependencies, frontend, tests or migrations', async () => {
    const dir = join(root, 'plugins', 'demo');
    write('plugins/demo/app.module.ts', classSource('DemoModule'));
    write('plugins/demo/src/demo.service.ts', classSource('DemoService'));
    write('plugins/demo/src/deep/util.js', 'export const util = 1;\n');
    write('plugins/demo/src/demo.service.spec.ts', classSource('Spec'));
    write('plugins/demo/src/types.d.ts', 'export type T = number;\n');
    write('plugins/demo/migrations/1700000000000-init.ts', classSource('Init'));
    write('plugins/demo/test/demo.test.ts', classSource('Test'));
    write('plugins/demo/node_modules/lib/index.js', 'module.exports = 1;\n');
    write('plugins/demo/frontend/src/main.ts', 'export {};\n');
    write('plugins/demo/settings.json', '{}');
    const plugin = { id: 'demo', dir, backendRoot: dir, markerFile: join(dir, 'app.module.ts'), frontendRoot: join(dir, 'frontend') } as DiscoveredPlugin;

    expect(await new PluginLoader(new PluginCompiler(dataDir)).precompile([plugin])).toBe(3);
  });
});
