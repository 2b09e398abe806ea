import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PluginError } from '../errors/plugin-error';
import { PluginScanner, readPluginFolder } from './plugin-scanner';

let root: string;
let plugins: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'appnest-scan-')));
  plugins = join(root, 'plugins');
  mkdirSync(plugins);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: unknown = ''): string {
  const file = join(plugins, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function backendPlugin(folder: string, descriptor?: unknown): string {
  write(`${folder}/app.module.ts`);
  if (descriptor !== undefined) write(`${folder}/plugin.json`, descriptor);
  return join(plugins, folder);
}

function refusal(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PluginError) return err;
    throw err;
  }
  throw new Error('expected a PluginError');
}

const scan = () => new PluginScanner(plugins).scan();

describe('readPluginFolder', () => {
  it('reads a plugin with a descriptor, its backend and its frontend', () => {
    const dir = backendPlugin('notes', { id: 'notes', name: 'Notes', version: '1.2.0' });
    write('notes/frontend/manifest.json', {});
    expect(readPluginFolder(dir, 'plugins')).toMatchObject({
      id: 'notes',
      name: 'Notes',
      version: '1.2.0',
      legacy: false,
      backendRoot: dir,
      markerFile: join(dir, 'app.module.ts'),
      frontendRoot: join(dir, 'frontend'),
      manifestPath: join(dir, 'frontend/manifest.json'),
      error: undefined,
    });
  });

  it('takes the id from plugin.json over the folder name', () => {
    expect(readPluginFolder(backendPlugin('notes-v2', { id: 'notes' }), 'plugins').id).toBe('notes');
  });

  it('takes the id from the folder name, normalised, when plugin.json has none', () => {
    expect(readPluginFolder(backendPlugin('My Notes.v2', {}), 'plugins').id).toBe('my-notes-v2');
  });

  it('reads a folder without plugin.json as a legacy plugin: version 0.0.0, no settings', () => {
    const plugin = readPluginFolder(backendPlugin('Notes'), 'plugins');
    expect(plugin).toMatchObject({ id: 'notes', name: 'notes', version: '0.0.0', legacy: true, descriptor: {} });
  });

  it.each([
    ['plugin.json', 'Notes_Plugin', { id: 'Notes' }],
    ['the folder name', '1notes', undefined],
    ['an empty id in plugin.json', 'notes', { id: '' }],
  ])('refuses an invalid id from %s with PLG_INVALID_ID', (_, folder, descriptor) => {
    const error = refusal(() => readPluginFolder(backendPlugin(folder, descriptor), 'plugins'));
    expect(error.code).toBe('PLG_INVALID_ID');
    expect(error.message).toContain(descriptor ? `${folder}/plugin.json` : `folder '${folder}'`);
  });

  it.each(['assets', 'admin', 'api', 'health'])('refuses the reserved id %s with PLG_RESERVED_ID', (id) => {
    const error = refusal(() => readPluginFolder(backendPlugin(id), 'plugins'));
    expect(error.code).toBe('PLG_RESERVED_ID');
    expect(error.message).toContain(`'${id}'`);
  });

  it('marks a plugin with a malformed plugin.json invalid, naming the plugin, the file and the field', () => {
    const plugin = readPluginFolder(backendPlugin('notes', { version: 'one' }), 'plugins');
    expect(plugin.legacy).toBe(false);
    expect(plugin.error?.code).toBe('PLG_INVALID_DESCRIPTOR');
    expect(plugin.error?.pluginId).toBe('notes');
    expect(plugin.error?.message).toContain("Plugin 'notes'");
    expect(plugin.error?.message).toContain('notes/plugin.json');
    expect(plugin.error?.message).toContain('"version"');
  });

  it('marks a plugin whose plugin.json cannot be read invalid', () => {
    write('notes/app.module.ts');
    mkdirSync(join(plugins, 'notes/plugin.json'));
    const plugin = readPluginFolder(join(plugins, 'notes'), 'plugins');
    expect(plugin.error?.code).toBe('PLG_INVALID_DESCRIPTOR');
    expect(plugin.error?.message).toContain('notes/plugin.json');
  });

  it('marks a plugin with neither a backend marker nor a frontend manifest with PLG_NO_ENTRY', () => {
    write('notes/plugin.json', { id: 'notes' });
    write('notes/src/notes.service.ts');
    const plugin = readPluginFolder(join(plugins, 'notes'), 'plugins');
    expect(plugin.error?.code).toBe('PLG_NO_ENTRY');
    expect(plugin.error?.message).toContain("Plugin 'notes'");
  });

  it('accepts a frontend-only plugin in the plugins folder', () => {
    write('notes/frontend/.vite/manifest.json', {});
    const plugin = readPluginFolder(join(plugins, 'notes'), 'plugins');
    expect(plugin).toMatchObject({ backendRoot: undefined, manifestPath: join(plugins, 'notes/frontend/.vite/manifest.json'), error: undefined });
  });

  it('reads a frontend-only bundle whose manifest sits at its root', () => {
    write('bundle/manifest.json', {});
    write('bundle/app.module.ts');
    const plugin = readPluginFolder(join(plugins, 'bundle'), 'frontend-plugins');
    expect(plugin).toMatchObject({ backendRoot: undefined, frontendRoot: join(plugins, 'bundle') });
  });
});

describe('PluginScanner', () => {
  it('lists plugins in sorted order', () => {
    for (const name of ['zeta', 'alpha', 'mid']) backendPlugin(name);
    expect(scan().plugins.map((p) => p.id)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('ignores loose files and dot-folders', () => {
    backendPlugin('notes');
    write('README.md', '# plugins');
    backendPlugin('.cache');
    expect(scan()).toEqual({ plugins: [expect.objectContaining({ id: 'notes' })], rejected: [], archives: [] });
  });

  it('lists .zip files as archives to install', () => {
    const zip = write('billing.ZIP', 'PK');
    expect(scan().archives).toEqual([zip]);
  });

  it('keeps the first of two plugins with one id and refuses the second with PLG_DUPLICATE_ID', () => {
    const first = backendPlugin('a-notes', { id: 'notes' });
    const second = backendPlugin('b-notes', { id: 'notes' });
    const result = scan();
    expect(result.plugins.map((p) => p.dir)).toEqual([first]);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0].dir).toBe(second);
    expect(result.rejected[0].error.code).toBe('PLG_DUPLICATE_ID');
    expect(result.rejected[0].error.message).toContain("'notes'");
  });

  it('refuses a frontend-only bundle whose id is already a plugin', () => {
    backendPlugin('notes');
    mkdirSync(join(root, 'frontend-plugins/notes'), { recursive: true });
    writeFileSync(join(root, 'frontend-plugins/notes/manifest.json'), '{}');
    const result = new PluginScanner(plugins, join(root, 'frontend-plugins')).scan();
    expect(result.plugins.map((p) => p.source)).toEqual(['plugins']);
    expect(result.rejected[0].error.code).toBe('PLG_DUPLICATE_ID');
  });

  it('refuses a folder with an invalid id and keeps scanning', () => {
    backendPlugin('admin');
    backendPlugin('notes');
    const result = scan();
    expect(result.plugins.map((p) => p.id)).toEqual(['notes']);
    expect(result.rejected.map((r) => r.error.code)).toEqual(['PLG_RESERVED_ID']);
  });

  it('lists a plugin with a malformed plugin.json, with its error, and boots the others', () => {
    backendPlugin('broken', '{ nope');
    backendPlugin('notes');
    const result = scan();
    expect(result.plugins.map((p) => [p.id, p.error?.code])).toEqual([
      ['broken', 'PLG_INVALID_DESCRIPTOR'],
      ['notes', undefined],
    ]);
  });

  it('refuses a symlinked folder that points outside the plugins folder with PLG_SYMLINK_OUTSIDE', () => {
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere/app.module.ts'), '');
    symlinkSync(join(root, 'elsewhere'), join(plugins, 'linked'), 'dir');
    const result = scan();
    expect(result.plugins).toEqual([]);
    expect(result.rejected[0].error.code).toBe('PLG_SYMLINK_OUTSIDE');
    expect(result.rejected[0].error.message).toContain("'linked'");
  });

  it('accepts a symlinked folder that points inside the plugins folder', () => {
    backendPlugin('.store/notes-1.0.0', { id: 'notes' });
    symlinkSync(join(plugins, '.store/notes-1.0.0'), join(plugins, 'notes'), 'dir');
    expect(scan()).toMatchObject({ plugins: [{ id: 'notes', dir: join(plugins, 'notes') }], rejected: [] });
  });

  it('returns nothing for a plugins folder that does not exist', () => {
    expect(new PluginScanner(join(root, 'missing')).scan()).toEqual({ plugins: [], rejected: [], archives: [] });
  });
});
