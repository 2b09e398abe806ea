import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
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

function cacheEntries(): string[] {
  const dir = join(dataDir, 'compile-cache');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
}

describe('PluginCompiler.precompile', () => {
  it('compiles every file into the cache once, and compile() then serves the same code from it', async () => {
    const files = Array.from({ length: 12 }, (_, i) => write(`p/src/file${i}.ts`, classSource(`C${i}`)));
    const compiler = new PluginCompiler(dataDir);

    expect(await compiler.precompile(files)).toBe(12);
    expect(cacheEntries()).toHaveLength(12);
    expect(await compiler.precompile(files)).toBe(0);

    const code = compiler.compile(files[3], 'p');
    expect(code).toContain('class C3');
    expect(code).not.toContain('private readonly');
    expect(cacheEntries()).toHaveLength(12);
  });

  it('leaves out a file that does not compile or has vanished, and compile() reports it with file and line', async () => {
    const good = write('p/good.ts', classSource('Good'));
    const broken = write('p/broken.ts', 'export class Broken {\n  method( {\n}\n');
    const compiler = new PluginCompiler(dataDir);

    expect(await compiler.precompile([good, broken, join(root, 'p/vanished.ts')])).toBe(1);
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
    const plugin = { id: 'demo', dir, backendRoot: dir, backendEntry: join(dir, 'app.module.ts'), frontendRoot: join(dir, 'frontend') } as DiscoveredPlugin;

    expect(await new PluginLoader(new PluginCompiler(dataDir)).precompile([plugin])).toBe(3);
  });
});
