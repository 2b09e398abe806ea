import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDescriptor } from '../discovery/plugin-descriptor';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { pluginJestConfig } from '../cli/plugin-jest-config';
import { FrontendManifest } from '../frontend/frontend-manifest';
import { findHostRoot } from './host-root';
import { pluginNames } from './plugin-names';
import { scaffoldPlugin } from './plugin-scaffold';

describe('scaffoldPlugin', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'appnest-new-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('derives class, title and table names from the id', () => {
    expect(pluginNames('my-notes')).toEqual({ id: 'my-notes', pascal: 'MyNotes', title: 'My notes', table: 'my_notes_item' });
  });

  it('writes a plugin discovery accepts, with its setting, action, migration and Jest specs', () => {
    const { dir, files } = scaffoldPlugin({ id: 'my-notes', parentDir: parent, now: 1763683300000 });
    expect(files).toEqual(
      expect.arrayContaining([
        'app.module.ts',
        'my-notes.controller.ts',
        'my-notes.tasks.ts',
        'migrations/1763683300000-create-my-notes-item.ts',
        'my-notes.service.spec.ts',
        'test/my-notes.e2e-spec.ts',
        'jest.config.js',
      ]),
    );
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
    expect(files.some((f) => f.startsWith('web/') || f.startsWith('frontend/'))).toBe(false);
    const plugin = readPluginFolder(dir, 'plugins');
    expect(plugin).toMatchObject({ id: 'my-notes', name: 'My notes', version: '0.1.0', markerFile: join(dir, 'app.module.ts') });
    expect(plugin.error).toBeUndefined();
    const descriptor = parseDescriptor(readFileSync(join(dir, 'plugin.json'), 'utf8'), 'plugin.json');
    expect(descriptor.settings?.map((s) => s.id)).toEqual(['retentionDays']);
    expect(descriptor.actions?.map((a) => a.id)).toEqual(['clear']);
    expect(readFileSync(join(dir, 'my-notes.service.ts'), 'utf8')).toContain("@Action('clear')");
    expect(readFileSync(join(dir, 'migrations/1763683300000-create-my-notes-item.ts'), 'utf8')).toContain('CREATE TABLE my_notes_item');
  });

  it('writes a unit spec through @nestjs/testing and an e2e spec with supertest against the test host', () => {
    const { dir } = scaffoldPlugin({ id: 'my-notes', parentDir: parent });
    const unit = readFileSync(join(dir, 'my-notes.service.spec.ts'), 'utf8');
    expect(unit).toContain('await Test.createTestingModule({');
    expect(unit).toContain('{ provide: getRepositoryToken(MyNotesItem), useValue: items },');
    const e2e = readFileSync(join(dir, 'test/my-notes.e2e-spec.ts'), 'utf8');
    expect(e2e).toContain("import request from 'supertest';");
    expect(e2e).toContain("host = await startTestHost({ plugins: [join(__dirname, '..')] });");
  });

  it("writes a jest.config that is the host's own Jest set-up for plugins, taken from the host's installation", () => {
    const { dir } = scaffoldPlugin({ id: 'demo', parentDir: parent });
    const hostRoot = findHostRoot();
    const before = process.env.APPNEST_HOST_ROOT;
    delete process.env.APPNEST_HOST_ROOT;
    try {
      expect(require(join(dir, 'jest.config.js'))).toEqual(pluginJestConfig(dir, hostRoot));
    } finally {
      if (before !== undefined) process.env.APPNEST_HOST_ROOT = before;
    }
  });

  it('writes code and specs that type-check strictly with the tsconfig it writes', () => {
    const { dir } = scaffoldPlugin({ id: 'demo', parentDir: parent });
    let output = '';
    try {
      execFileSync(process.execPath, [join(findHostRoot(), 'node_modules/@typescript/native/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: Buffer }).stdout ?? err);
    }
    expect(output).toBe('');
  });

  it('adds a Vite source and a prebuilt frontend whose manifest the host accepts', () => {
    const { dir } = scaffoldPlugin({ id: 'demo', parentDir: parent, frontend: true });
    const plugin = readPluginFolder(dir, 'plugins');
    expect(plugin.manifestPath).toBe(join(dir, 'frontend', 'manifest.json'));
    const manifest = FrontendManifest.parse(readFileSync(plugin.manifestPath!, 'utf8'), 'manifest.json');
    expect(manifest.entry).toBe('assets/main.js');
    expect(readFileSync(join(dir, 'frontend', manifest.entry), 'utf8')).toMatch(/^export default definePlugin\(/m);
    expect(readFileSync(join(dir, 'web', 'vite.config.mts'), 'utf8')).toContain("outDir: '../frontend'");
  });

  it('refuses an invalid id and an existing folder', () => {
    expect(() => scaffoldPlugin({ id: 'Bad Id', parentDir: parent })).toThrow(expect.objectContaining({ code: 'PLG_INVALID_ID' }));
    expect(() => scaffoldPlugin({ id: 'api', parentDir: parent })).toThrow(expect.objectContaining({ code: 'PLG_RESERVED_ID' }));
    scaffoldPlugin({ id: 'demo', parentDir: parent });
    expect(() => scaffoldPlugin({ id: 'demo', parentDir: parent })).toThrow(expect.objectContaining({ code: 'PLG_BAD_REQUEST', message: expect.stringContaining('already exists') }));
  });
});
