import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { isAuthoringOnly, packPlugin } from './plugin-packer';
import { listPluginFiles } from '../discovery/plugin-files';

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
    expect(
      zip
        .getEntries()
        .map((e) => e.entryName)
        .sort(),
    ).toEqual(['hello/app.module.js', 'hello/hello.controller.js', 'hello/hello.service.js', 'hello/plugin.json']);
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
    const left = [
      'web',
      'test',
      'backend/tests',
      'items.test.ts',
      'items.spec.ts',
      'backend/items.e2e-spec.ts',
      'jest.config.js',
      'jest.config.ts',
      'jest-e2e.json',
      'types.d.ts',
      'tsconfig.json',
      'tsconfig.build.json',
    ];
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

const FIXTURES = join(__dirname, '../../test/fixtures');

describe('packPlugin with npm dependencies', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'appnest-pack-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("ships the plugin's production dependencies and never a shared package, whatever the plugin folder holds", async () => {
    const result = await packPlugin(join(FIXTURES, 'auth-jwt'), { out: join(work, 'auth.zip') });
    const names = new AdmZip(result.file).getEntries().map((e) => e.entryName);
    for (const pkg of ['@nestjs/jwt', '@nestjs/passport', '@nestjs/config', 'passport', 'passport-jwt', 'jsonwebtoken']) {
      expect(names).toContain(`auth-jwt/node_modules/${pkg}/package.json`);
      expect(result.dependencies.map((d) => d.name)).toContain(pkg);
    }
    for (const shared of ['@nestjs/common', '@nestjs/core', 'rxjs', 'reflect-metadata']) {
      expect(names.some((n) => n.startsWith(`auth-jwt/node_modules/${shared}/`))).toBe(false);
    }
    expect(names.filter((n) => /\.(d\.ts|map|md)$/.test(n) && !/licen[cs]e/i.test(n))).toEqual([]);
    expect(result.files).toBeGreaterThan(2000);
  });

  it('gives the same bytes for the same sources packed from two folders, with no absolute path inside', async () => {
    const a = join(work, 'one', 'api-docs');
    const b = join(work, 'somewhere', 'else', 'api-docs');
    cpSync(join(FIXTURES, 'api-docs'), a, { recursive: true });
    cpSync(join(FIXTURES, 'api-docs'), b, { recursive: true });
    const first = await packPlugin(a, { out: join(work, 'a.zip') });
    await new Promise((r) => setTimeout(r, 1100));
    const second = await packPlugin(b, { out: join(work, 'b.zip') });
    expect(second.sha256).toBe(first.sha256);
    const zip = new AdmZip(first.file);
    for (const entry of zip.getEntries()) {
      const text = entry.getData().toString('latin1');
      expect(text.includes(work)).toBe(false);
    }
    const compiled = zip.readAsText('api-docs/items.controller.js');
    const map = JSON.parse(Buffer.from(/sourceMappingURL=data:application\/json;base64,(\S+)/.exec(compiled)![1], 'base64').toString('utf8'));
    expect(map.sources).toEqual(['items.controller.ts']);
  });

  it('leaves host state, tokens and keys out, and says so', async () => {
    const dir = join(work, 'hello');
    cpSync(HELLO, dir, { recursive: true });
    mkdirSync(join(dir, 'data', 'pgdata'), { recursive: true });
    writeFileSync(join(dir, 'data', 'admin-token'), 'secret');
    writeFileSync(join(dir, 'data', 'pgdata', 'PG_VERSION'), '18');
    writeFileSync(join(dir, '.env'), 'TOKEN=secret');
    writeFileSync(join(dir, '.env.local'), 'TOKEN=secret');
    writeFileSync(join(dir, 'server.key'), 'secret');
    writeFileSync(join(dir, 'admin-token'), 'secret');
    mkdirSync(join(dir, 'node_modules', '.cache'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', '.cache', 'x'), 'secret');
    const result = await packPlugin(dir, { out: join(work, 'hello.zip') });
    const names = new AdmZip(result.file).getEntries().map((e) => e.entryName);
    expect(names.sort()).toEqual(['hello/app.module.js', 'hello/hello.controller.js', 'hello/hello.service.js', 'hello/plugin.json']);
    expect(result.leftOut.sort()).toEqual(['admin-token', 'data/', 'server.key']);
  });

  it('refuses a dependency that is not installed, naming the package and the file that imports it', async () => {
    const dir = join(work, 'hello');
    cpSync(HELLO, dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'hello', dependencies: { 'left-pad': '^1.3.0' } }));
    writeFileSync(join(dir, 'pad.ts'), "import leftPad from 'left-pad';\nexport const pad = (s: string) => leftPad(s, 8);\n");
    await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({
      code: 'PLG_PACKAGE_MISSING',
      message: expect.stringMatching(/'hello'.*'left-pad'.*pad\.ts/),
      hint: expect.stringContaining('npm install'),
    });
  });

  it('refuses code that imports a package it does not declare, as an install would, before writing a zip', async () => {
    const dir = join(work, 'hello');
    cpSync(HELLO, dir, { recursive: true });
    writeFileSync(
      join(dir, 'hello.service.ts'),
      "import { Injectable } from '@nestjs/common';\nimport { v4 } from 'no-such-package-anywhere';\n@Injectable()\nexport class HelloService { id = v4(); greet(name: string) { return { message: name }; } }\n",
    );
    await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({
      code: 'PLG_PACKAGE_MISSING',
      message: expect.stringMatching(/'hello'.*'no-such-package-anywhere'.*hello\.service\.js/),
    });
    expect(existsSync(join(work, 'out.zip'))).toBe(false);
  });

  it('refuses a native addon, naming the package and the file that imports it', async () => {
    const dir = join(work, 'hello');
    cpSync(HELLO, dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'hello', dependencies: { 'fast-hash': '1.0.0' } }));
    mkdirSync(join(dir, 'node_modules', 'fast-hash', 'build', 'Release'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'fast-hash', 'package.json'), JSON.stringify({ name: 'fast-hash', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(dir, 'node_modules', 'fast-hash', 'index.js'), "module.exports = require('./build/Release/hash.node');");
    writeFileSync(join(dir, 'node_modules', 'fast-hash', 'build', 'Release', 'hash.node'), 'ELF');
    writeFileSync(join(dir, 'hash.ts'), "import { hash } from 'fast-hash';\nexport const h = hash;\n");
    await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({
      code: 'PLG_PACKAGE_NATIVE',
      message: expect.stringMatching(/'hello'.*'fast-hash'.*build\/Release\/hash\.node.*hash\.ts/),
    });
  });
});

describe('packPlugin and the descriptor', () => {
  it('refuses a setting whose default does not match its type, as doctor and an upload do', async () => {
    const work = mkdtempSync(join(tmpdir(), 'appnest-pack-'));
    try {
      const dir = join(work, 'hello');
      cpSync(HELLO, dir, { recursive: true });
      writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ id: 'hello', name: 'Hello', version: '1.0.0', settings: [{ id: 'pageSize', label: 'Page size', type: 'number', default: '20' }] }));
      await expect(packPlugin(dir, { out: join(work, 'out.zip') })).rejects.toMatchObject({ code: 'PLG_INVALID_DESCRIPTOR', message: expect.stringContaining('pageSize') });
      expect(existsSync(join(work, 'out.zip'))).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
