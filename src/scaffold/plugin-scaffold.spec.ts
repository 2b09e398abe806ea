import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDescriptor } from '../discovery/plugin-descriptor';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { FrontendManifest } from '../frontend/frontend-manifest';
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

  it('writes a plugin discovery accepts, with its setting, action, migration and test', () => {
    const { dir, files } = scaffoldPlugin({ id: 'my-notes', parentDir: parent, now: 1763683300000 });
    expect(files).toEqual(expect.arrayContaining(['app.module.ts', 'my-notes.controller.ts', 'my-notes.tasks.ts', 'migrations/1763683300000-create-my-notes-item.ts', 'test/my-notes.test.ts']));
    expect(files.some((f) => f.startsWith('web/') || f.startsWith('frontend/'))).toBe(false);
    const plugin = readPluginFolder(dir, 'plugins');
    expect(plugin).toMatchObject({ id: 'my-notes', name: 'My notes', version: '0.1.0', backendEntry: join(dir, 'app.module.ts') });
    expect(plugin.error).toBeUndefined();
    const descriptor = parseDescriptor(readFileSync(join(dir, 'plugin.json'), 'utf8'), 'plugin.json');
    expect(descriptor.settings?.map((s) => s.id)).toEqual(['retentionDays']);
    expect(descriptor.actions?.map((a) => a.id)).toEqual(['clear']);
    expect(readFileSync(join(dir, 'my-notes.service.ts'), 'utf8')).toContain("@Action('clear')");
    expect(readFileSync(join(dir, 'migrations/1763683300000-create-my-notes-item.ts'), 'utf8')).toContain('CREATE TABLE my_notes_item');
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
