import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { isAuthoringOnly, packPlugin } from './plugin-packer';
import { listPluginFiles } from './plugin-files';

const HELLO = join(__dirname, '../../plugins/hello');

describe('packPlugin', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'appnest-pack-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('zips the plugin under its id with every .ts compiled to CommonJS .js, its specs left out, and prints what it wrote', async () => {
    const result = await packPlugin(HELLO, { out: join(work, 'hello.zip') });
    expect(result).toMatchObject({ id: 'hello', version: '1.0.0', file: join(work, 'hello.zip'), files: 4, compiled: 3 });
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    const zip = new AdmZip(result.file);
    expect(zip.getEntries().map((e) => e.entryName).sort()).toEqual(['hello/app.module.js', 'hello/hello.controller.js', 'hello/hello.service.js', 'hello/plugin.json']);
    const controller = zip.readAsText('hello/hello.controller.js');
    expect(controller).toContain('require("./hello.service.js")');
    expect(controller).toContain('"design:paramtypes"');
  });

  it('refuses a plugin that ships both x.ts and x.js', async () => {
    const dir = join(work, 'hello');
    cpSync(HELLO, dir, { recursive: true });
    writeFileSync(join(dir, 'hello.service.js'), 'exports.x = 1;\n');
    await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({ code: 'PLG_BAD_REQUEST', message: expect.stringContaining('both hello.service.ts and hello.service.js') });
  });

  it('refuses a folder the installer would refuse, writing nothing', async () => {
    const dir = join(work, 'empty');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), 'no plugin here\n');
    await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({ code: 'PLG_NO_ENTRY' });
  });
});

describe('the files a pack ships', () => {
  it('leaves out frontend sources, tests, their Jest config, declarations and tsconfig', () => {
    const shipped = ['app.module.ts', 'frontend', 'frontend/manifest.json', 'migrations/1-init.ts', 'README.md', 'backend/web'];
    const left = ['web', 'test', 'backend/tests', 'items.test.ts', 'items.spec.ts', 'backend/items.e2e-spec.ts', 'jest.config.js', 'jest.config.ts', 'jest-e2e.json', 'types.d.ts', 'tsconfig.json', 'tsconfig.build.json'];
    for (const path of shipped) expect([path, isAuthoringOnly(path, !path.includes('.'))]).toEqual([path, false]);
    for (const path of left) expect([path, isAuthoringOnly(path, !path.includes('.'))]).toEqual([path, true]);
  });

  it('never lists node_modules, zips or dot entries, except the .vite folder of a Vite manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'appnest-files-'));
    try {
      for (const folder of ['node_modules/x', '.git', 'frontend/.vite']) mkdirSync(join(dir, folder), { recursive: true });
      for (const file of ['app.module.ts', 'node_modules/x/index.js', '.git/HEAD', '.env', 'old.zip', 'frontend/.vite/manifest.json']) writeFileSync(join(dir, file), '');
      expect(listPluginFiles(dir)).toEqual(['app.module.ts', 'frontend/.vite/manifest.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
