import { closeSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInside } from './safe-file';

describe('openInside', () => {
  let root: string;
  let frontend: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'appnest-safe-file-'));
    frontend = join(root, 'frontend');
    mkdirSync(join(frontend, 'assets'), { recursive: true });
    writeFileSync(join(frontend, 'assets', 'index.js'), 'export {}');
    writeFileSync(join(root, 'secret.txt'), 'secret');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const opens = (...segments: string[]): boolean => {
    const file = openInside(frontend, segments);
    if (file) closeSync(file.fd);
    return !!file;
  };

  it('opens a regular file inside the folder', () => {
    expect(opens('assets', 'index.js')).toBe(true);
  });

  it('refuses a file that is a symbolic link, even to a file inside the folder', () => {
    symlinkSync(join(frontend, 'assets', 'index.js'), join(frontend, 'assets', 'alias.js'));
    symlinkSync(join(root, 'secret.txt'), join(frontend, 'assets', 'secret.js'));
    expect(opens('assets', 'alias.js')).toBe(false);
    expect(opens('assets', 'secret.js')).toBe(false);
  });

  it('refuses a path through a linked folder', () => {
    symlinkSync(root, join(frontend, 'up'));
    expect(opens('up', 'secret.txt')).toBe(false);
  });

  it('refuses folders, missing files and empty paths', () => {
    expect(opens('assets')).toBe(false);
    expect(opens('assets', 'nope.js')).toBe(false);
    expect(opens()).toBe(false);
    expect(opens('assets', 'index.js', 'deeper')).toBe(false);
  });
});
