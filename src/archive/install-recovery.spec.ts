import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PluginArchiveInstaller } from './plugin-archive-installer';
import { recoverInstalls } from './install-recovery';
import { makeTempFolder, removeFolder, snapshotFolder } from './test-folders';
import { buildZip, minimalPlugin } from './test-zip';

describe('recoverInstalls', () => {
  let root: string;
  let pluginsDir: string;
  let stagingDir: string;
  let installer: PluginArchiveInstaller;

  const notes = (marker: string) => buildZip([...minimalPlugin('', { id: 'notes' }), { name: 'VERSION', data: marker }]);
  const install = async (marker: string, overwrite = true) => (await installer.stage(notes(marker), 'notes.zip')).commit({ overwrite });
  const stored = (sha?: string) => async () => sha;

  beforeEach(() => {
    root = makeTempFolder('install-recovery');
    pluginsDir = join(root, 'plugins');
    stagingDir = join(pluginsDir, '.staging');
    mkdirSync(pluginsDir);
    installer = new PluginArchiveInstaller({ pluginsDir, stagingDir });
  });

  afterEach(() => removeFolder(root));

  it('puts the previous version back, byte-identical, when an overwrite was cut off before the database stored it', async () => {
    await (await install('v1', false)).finish();
    const before = snapshotFolder(pluginsDir);
    await install('v2');
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe('v2');

    const recovered = await recoverInstalls({ stagingDir, storedSha: stored(undefined) });

    expect(recovered).toEqual([expect.objectContaining({ id: 'notes', direction: 'back', replaced: true })]);
    expect(snapshotFolder(pluginsDir)).toBe(before);
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('completes an overwrite whose archive the database had already stored', async () => {
    await (await install('v1', false)).finish();
    const staged = await installer.stage(notes('v2'), 'notes.zip');
    await staged.commit({ overwrite: true });

    const recovered = await recoverInstalls({ stagingDir, storedSha: stored(staged.sha256) });

    expect(recovered).toEqual([expect.objectContaining({ id: 'notes', direction: 'forward', sha256: staged.sha256 })]);
    expect(readFileSync(join(pluginsDir, 'notes', 'VERSION'), 'utf8')).toBe('v2');
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('removes the files of a new plugin whose install was cut off', async () => {
    await install('v1', false);

    const recovered = await recoverInstalls({ stagingDir, storedSha: stored(undefined) });

    expect(recovered).toEqual([expect.objectContaining({ id: 'notes', direction: 'back', replaced: false })]);
    expect(existsSync(join(pluginsDir, 'notes'))).toBe(false);
    expect(readdirSync(stagingDir)).toEqual([]);
  });

  it('removes the staging leftovers of dead processes and keeps those of a live one', async () => {
    mkdirSync(join(stagingDir, 'stage-999999999-abc', 'notes'), { recursive: true });
    mkdirSync(join(stagingDir, 'backup-999999999-abc', 'notes'), { recursive: true });
    mkdirSync(join(stagingDir, 'stage-oldstyle'), { recursive: true });
    mkdirSync(join(stagingDir, `stage-${process.ppid}-live`), { recursive: true });
    writeFileSync(join(stagingDir, 'journal-other.json'), JSON.stringify({ id: 'other', sha256: 'x', target: join(pluginsDir, 'other'), backupRoot: null, pid: process.ppid, startedAt: '' }));

    expect(await recoverInstalls({ stagingDir, storedSha: stored(undefined) })).toEqual([]);

    expect(readdirSync(stagingDir).sort()).toEqual(['journal-other.json', `stage-${process.ppid}-live`]);
  });
});
