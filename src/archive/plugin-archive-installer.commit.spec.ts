import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PluginError } from '../errors/plugin-error';
import { PluginArchiveInstaller } from './plugin-archive-installer';
import { listFolder, makeTempFolder, removeFolder, snapshotFolder } from './test-folders';
import { buildZip, minimalPlugin, unixAttr, type TestZipEntry } from './test-zip';

const modeOf = (path: string) => statSync(path).mode & 0o777;

async function rejection(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(PluginError);
  return error as PluginError;
}

describe('PluginArchiveInstaller', () => {
  let root: string;
  let pluginsDir: string;
  let stagingDir: string;
  let installer: PluginArchiveInstaller;

  const installedNotes = () => {
    mkdirSync(join(pluginsDir, 'notes', 'src'), { recursive: true });
    writeFileSync(join(pluginsDir, 'notes', 'app.module.ts'), 'export class AppModule {} // v1\n');
    writeFileSync(join(pluginsDir, 'notes', 'src', 'notes.service.ts'), 'export class NotesService {}\n');
  };
  const notesV2 = (marker = 'v2') => buildZip([...minimalPlugin('', { id: 'notes' }), { name: 'VERSION', data: marker }]);

  beforeEach(() => {
    root = makeTempFolder('archive-install');
    pluginsDir = join(root, 'plugins');
    stagingDir = join(root, 'data', 'staging');
    mkdirSync(pluginsDir);
    installer = new PluginArchiveInstaller({ pluginsDir, stagingDir });
  });

  afterEach(() => removeFolder(root));

  it('stages a plugin whose files sit at the zip root, then commits it with modes 0644 and 0755', async () => {
    const files: TestZipEntry[] = [
      { name: 'plugin.json', data: JSON.stringify({ id: 'notes', version: '1.0.0' }), attr: unixAttr(0o100600) },
      { name: 'app.module.ts', data: 'export class AppModule {}\n', attr: unixAttr(0o104777) },
      { name: 'src/notes.service.ts', data: 'export class NotesService {}\n', attr: 0 },
      { name: 'frontend/assets/index.js', data: 'export default {};\n', method: 0 },
    ];
    const zip = buildZip([
      ...files,
      { name: 'src/', attr: unixAttr(0o040700) },
      { name: '__MACOSX/._app.module.ts', data: 'resource fork' },
      { name: '.DS_Store', data: 'finder' },
      { name: 'src/.DS_Store', data: 'finder' },
    ]);
    const before = snapshotFolder(pluginsDir);

    const staged = await installer.stage(zip, 'notes.zip');

    expect(staged).toMatchObject({ id: 'notes', entries: 4, sha256: createHash('sha256').update(zip).digest('hex') });
    expect(staged.bytes).toBe(files.reduce((sum, f) => sum + Buffer.byteLength(f.data ?? ''), 0));
    expect(staged.dir.startsWith(stagingDir)).toBe(true);
    expect(snapshotFolder(pluginsDir)).toBe(before);

    const installed = await staged.commit({ overwrite: false });

    expect(installed).toMatchObject({ id: 'notes', dir: join(pluginsDir, 'notes'), replaced: false });
    expect(listFolder(installed.dir)).toEqual(['app.module.ts', 'frontend/', 'frontend/assets/', 'frontend/assets/index.js', 'plugin.json', 'src/', 'src/notes.service.ts']);
    for (const file of ['app.module.ts', 'plugin.json', 'src/notes.service.ts', 'frontend/assets/index.js']) {
      expect(modeOf(join(installed.dir, file))).toBe(0o644);
    }
    for (const folder of ['', 'src', 'frontend', 'frontend/assets']) expect(modeOf(join(installed.dir, folder))).toBe(0o755);
    expect(readdirSync(stagingDir)).toEqual(['journal-notes.json']);
    await installed.finish();
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('takes the id from the zip name when the root holds no plugin.json', async () => {
    const staged = await installer.stage(buildZip(minimalPlugin()), 'C:\\Downloads\\Hello World.zip');
    expect(staged.id).toBe('hello-world');
    await staged.discard();
  });

  it('takes the id from the single top folder when it holds no plugin.json', async () => {
    const staged = await installer.stage(buildZip([{ name: 'notes-main/' }, ...minimalPlugin('notes-main/')]), 'download.zip');
    expect(staged.id).toBe('notes-main');
    expect(listFolder(staged.dir)).toEqual(['app.module.ts']);
    await staged.discard();
  });

  it('takes the id from plugin.json inside the top folder', async () => {
    const staged = await installer.stage(buildZip(minimalPlugin('notes-1.2.0/', { id: 'notes' })), 'download.zip');
    expect(staged.id).toBe('notes');
    expect(listFolder(staged.dir)).toEqual(['app.module.ts', 'plugin.json']);
    await staged.discard();
  });

  it('reads a zip holding only backend/ as a plugin at the zip root', async () => {
    const staged = await installer.stage(buildZip(minimalPlugin('backend/')), 'tasks.zip');
    expect(staged.id).toBe('tasks');
    expect(listFolder(staged.dir)).toEqual(['backend/', 'backend/app.module.ts']);
    await staged.discard();
  });

  it('accepts a frontend-only plugin', async () => {
    const staged = await installer.stage(buildZip([{ name: 'frontend/manifest.json', data: '{}' }]), 'theme.zip');
    expect(staged.id).toBe('theme');
    await staged.discard();
  });

  it('discard() removes the staging folder', async () => {
    const staged = await installer.stage(notesV2(), 'notes.zip');
    await staged.discard();
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('refuses to commit over an installed plugin without overwrite and removes the staging folder', async () => {
    installedNotes();
    const before = snapshotFolder(pluginsDir);
    const staged = await installer.stage(notesV2(), 'notes.zip');

    const error = await rejection(staged.commit({ overwrite: false }));

    expect(error.code).toBe('PLG_ALREADY_INSTALLED');
    expect(error.status).toBe(409);
    expect(error.message).toContain("Plugin 'notes'");
    expect(error.pluginId).toBe('notes');
    expect(snapshotFolder(pluginsDir)).toBe(before);
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('replaces an installed plugin with overwrite and keeps the previous version until finish()', async () => {
    installedNotes();
    const staged = await installer.stage(notesV2(), 'notes.zip');

    const installed = await staged.commit({ overwrite: true });

    expect(installed.replaced).toBe(true);
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe('v2');
    expect(readdirSync(stagingDir).map((name) => name.replace(/\d+-.*/, ''))).toEqual(['backup-', 'journal-notes.json']);
    await installed.finish();
    expect(readdirSync(stagingDir)).toEqual([]);
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe('v2');
  });

  it('restore() puts the previous version back byte-identical', async () => {
    installedNotes();
    const before = snapshotFolder(pluginsDir);
    const installed = await (await installer.stage(notesV2(), 'notes.zip')).commit({ overwrite: true });
    expect(snapshotFolder(pluginsDir)).not.toBe(before);

    await installed.restore();

    expect(snapshotFolder(pluginsDir)).toBe(before);
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('lets exactly one of two concurrent commits of one id win', async () => {
    const first = await installer.stage(notesV2('first'), 'notes.zip');
    const second = await installer.stage(notesV2('second'), 'notes.zip');

    const results = await Promise.allSettled([first.commit({ overwrite: false }), second.commit({ overwrite: false })]);

    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof first.commit>>> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toMatchObject({ code: 'PLG_ALREADY_INSTALLED', pluginId: 'notes' });
    const winner = results[0].status === 'fulfilled' ? 'first' : 'second';
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe(winner);
    await won[0].value.finish();
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('refuses another overwrite of one id until the replacement is finished or restored', async () => {
    installedNotes();
    const installed = await (await installer.stage(notesV2('first'), 'notes.zip')).commit({ overwrite: true });

    for (const attempt of ['second', 'third']) {
      const error = await rejection((await installer.stage(notesV2(attempt), 'notes.zip')).commit({ overwrite: true }));
      expect(error.code).toBe('PLG_ALREADY_INSTALLED');
      expect(error.message).toContain("Plugin 'notes' is being installed");
    }

    await installed.finish();
    const fourth = await (await installer.stage(notesV2('fourth'), 'notes.zip')).commit({ overwrite: true });
    await fourth.finish();
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe('fourth');
    expect(existsSync(stagingDir) ? readdirSync(stagingDir) : []).toEqual([]);
  });

  it('keeps the event loop responsive while it installs a 20 MB archive', async () => {
    const chunk = 1024 * 1024;
    const entries: TestZipEntry[] = minimalPlugin('', { id: 'big' });
    for (let i = 0; i < 20; i++) entries.push({ name: `assets/blob-${i}.bin`, data: randomBytes(chunk), method: i % 2 === 0 ? 0 : 8 });
    const zip = buildZip(entries);
    expect(zip.length).toBeGreaterThan(20 * chunk);
    let last = performance.now();
    let longestPause = 0;
    let ticks = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestPause = Math.max(longestPause, now - last);
      last = now;
      ticks++;
    }, 2);

    const started = performance.now();
    try {
      const installed = await (await installer.stage(zip, 'big.zip')).commit({ overwrite: false });
      expect(readdirSync(join(installed.dir, 'assets'))).toHaveLength(20);
    } finally {
      clearInterval(ticker);
    }
    const elapsed = performance.now() - started;

    // A blocking extraction lets the timer fire only around its few awaits and pauses the loop for
    // about the whole install; a yielding one lets it fire all along. Both checks are relative, so
    // a loaded machine (slower install, garbage collection in this worker) does not make them flaky.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(longestPause).toBeLessThan(Math.max(250, elapsed * 0.6));
  });
});
