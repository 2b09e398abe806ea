import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fingerprintFolder } from './plugin-entry';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'appnest-fingerprint-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: string | Buffer): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const both = async (dir: string) => {
  const [blocking, pooled] = await Promise.all([fingerprintFolder(dir, { blocking: true }), fingerprintFolder(dir)]);
  expect(pooled).toEqual(blocking);
  return blocking;
};

describe('fingerprintFolder', () => {
  it('is the same for the same files, and changes with one byte, a name or a file more, on the event loop and on the thread pool alike', async () => {
    const dir = join(root, 'p');
    write('p/app.module.ts', 'export class AppModule {}\n');
    write('p/frontend/assets/logo.png', Buffer.alloc(3000, 7));
    write('p/node_modules/lib/index.js', 'module.exports = 1;\n');
    const first = await both(dir);
    expect((await both(dir)).fingerprint).toBe(first.fingerprint);

    write('p/node_modules/lib/index.js', 'module.exports = 2;\n');
    expect((await both(dir)).fingerprint).toBe(first.fingerprint);
    write('p/app.module.ts', 'export class AppModulf {}\n');
    const edited = await both(dir);
    expect(edited.fingerprint).not.toBe(first.fingerprint);
    write('p/app.module.ts', 'export class AppModule {}\n');
    expect((await both(dir)).fingerprint).toBe(first.fingerprint);
    write('p/extra.ts', '');
    expect((await both(dir)).fingerprint).not.toBe(first.fingerprint);
  });

  it('keeps the digest of each code file (not of images, nor of dependencies), and follows links', async () => {
    const dir = join(root, 'p');
    const module = write('p/app.module.ts', 'export class AppModule {}\n');
    write('p/frontend/assets/logo.png', Buffer.alloc(10, 1));
    const chunk = write('p/frontend/assets/index-abc.js', 'console.log(1);\n');
    write('p/node_modules/lib/index.js', 'module.exports = 1;\n');
    const shared = write('shared/util.ts', 'export const x = 1;\n');
    symlinkSync(shared, join(dir, 'util.ts'));
    symlinkSync(join(root, 'shared'), join(dir, 'linked'));
    const { files } = await both(dir);
    expect([...files.keys()].sort()).toEqual([module, join(dir, 'frontend/assets/index-abc.js'), join(dir, 'linked/util.ts'), join(dir, 'util.ts')].sort());
    expect(files.get(chunk)).toMatch(/^[0-9a-f]{64}$/);
    expect(files.get(join(dir, 'util.ts'))).toBe(files.get(join(dir, 'linked/util.ts')));
  });

  it('skips a named pipe instead of waiting on it forever', async () => {
    const dir = join(root, 'p');
    write('p/app.module.ts', 'export class AppModule {}\n');
    const before = await both(dir);
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect((await both(dir)).fingerprint).toBe(before.fingerprint);
  });
});
