import { PluginError } from '../errors/plugin-error';
import { assertUniqueNames, checkEntryKind, checkEntryName, isIgnoredEntry } from './archive-entry-check';
import { DEFAULT_ARCHIVE_LIMITS } from './archive-limits';
import { unixAttr } from './test-zip';

const limits = { ...DEFAULT_ARCHIVE_LIMITS };

function thrown(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PluginError) return err;
    throw err;
  }
  throw new Error('expected a PluginError');
}

const nameCheck =
  (name: string, raw = Buffer.from(name, 'utf8')) =>
  () =>
    checkEntryName(name, raw, 'notes.zip', limits);

describe('checkEntryName', () => {
  it('returns the segments of a plain file or folder name', () => {
    expect(nameCheck('src/notes.controller.ts')()).toEqual(['src', 'notes.controller.ts']);
    expect(nameCheck('frontend/assets/')()).toEqual(['frontend', 'assets']);
  });

  it.each([
    ['a parent segment', '../evil.ts'],
    ['a parent segment deeper down', 'src/../../evil.ts'],
    ['a trailing parent segment', 'src/..'],
    ['an absolute path', '/etc/passwd'],
    ['a backslash', 'src\\..\\..\\evil.ts'],
    ['a drive letter', 'C:/Windows/evil.ts'],
    ['a drive-relative path', 'c:evil.ts'],
    ['a NUL character', 'evil.ts\u0000.png'],
    ['a newline', 'evil\n.ts'],
    ['a C1 control character', 'evil\u0085.ts'],
    ['an empty segment', 'src//evil.ts'],
    ['a dot segment', './evil.ts'],
    ['an empty name', ''],
  ])('refuses a name with %s', (_, name) => {
    const error = thrown(nameCheck(name));
    expect(error.code).toBe('PLG_ARCHIVE_UNSAFE_PATH');
    expect(error.message).toContain("Archive 'notes.zip' entry '");
    expect(error.message).toContain(JSON.stringify(name).slice(1, -1));
  });

  it('refuses a name that is not valid UTF-8', () => {
    const raw = Buffer.from([0x61, 0xc0, 0xae, 0x2e, 0x2f, 0x62]);
    expect(thrown(nameCheck(raw.toString('utf8'), raw)).code).toBe('PLG_ARCHIVE_UNSAFE_PATH');
  });

  it('refuses a segment longer than 255 bytes, counting UTF-8 bytes', () => {
    expect(nameCheck(`src/${'a'.repeat(255)}`)()).toHaveLength(2);
    const error = thrown(nameCheck(`src/${'é'.repeat(128)}`));
    expect(error.code).toBe('PLG_ARCHIVE_NAME_TOO_LONG');
    expect(error.message).toContain('255 bytes');
  });

  it('refuses a name longer than 1024 bytes', () => {
    const name = Array.from({ length: 8 }, () => 'b'.repeat(130)).join('/');
    expect(thrown(nameCheck(name)).code).toBe('PLG_ARCHIVE_NAME_TOO_LONG');
  });

  it('refuses a name nested deeper than 32 levels', () => {
    expect(nameCheck(`${'d/'.repeat(31)}f.ts`)()).toHaveLength(32);
    const error = thrown(nameCheck(`${'d/'.repeat(32)}f.ts`));
    expect(error.code).toBe('PLG_ARCHIVE_PATH_TOO_DEEP');
    expect(error.message).toContain('33 levels');
  });
});

describe('checkEntryKind', () => {
  const kind =
    (attr: number, extra: Buffer[] = []) =>
    () =>
      checkEntryKind('src/x.ts', attr, extra, 'notes.zip');

  it('accepts regular files, folders and entries without a Unix mode', () => {
    expect(kind(unixAttr(0o100755))).not.toThrow();
    expect(kind(unixAttr(0o040700) | 0x10)).not.toThrow();
    expect(kind(0x20)).not.toThrow();
  });

  it.each([
    ['a Unix symbolic link', unixAttr(0o120777)],
    ['a Windows reparse point', 0x400 | 0x20],
  ])('refuses %s', (_, attr) => {
    const error = thrown(kind(attr));
    expect(error.code).toBe('PLG_ARCHIVE_LINK');
    expect(error.message).toContain("Archive 'notes.zip' entry 'src/x.ts' is a symbolic link");
  });

  it('refuses a hard link recorded in the PKWARE Unix extra field', () => {
    const target = Buffer.from('../../etc/passwd');
    const extra = Buffer.concat([Buffer.from([0x0d, 0x00, 12 + target.length, 0x00]), Buffer.alloc(12), target]);
    expect(thrown(kind(unixAttr(0o100644), [extra])).code).toBe('PLG_ARCHIVE_LINK');
  });

  it('refuses a link recorded in the ASi Unix extra field', () => {
    const body = Buffer.alloc(14);
    body.writeUInt16LE(0o120777, 4);
    body.writeUInt32LE(0, 6);
    const extra = Buffer.concat([Buffer.from([0x6e, 0x75, body.length, 0x00]), body]);
    expect(thrown(kind(0, [extra])).code).toBe('PLG_ARCHIVE_LINK');
  });

  it.each([
    ['a fifo', 0o010644],
    ['a character device', 0o020644],
    ['a block device', 0o060644],
    ['a socket', 0o140644],
  ])('refuses %s', (_, mode) => {
    const error = thrown(kind(unixAttr(mode)));
    expect(error.code).toBe('PLG_ARCHIVE_SPECIAL_FILE');
    expect(error.message).toContain("'src/x.ts'");
  });
});

describe('assertUniqueNames', () => {
  const entry = (name: string) => ({
    name,
    isDirectory: name.endsWith('/'),
    segments: (name.endsWith('/') ? name.slice(0, -1) : name).split('/'),
  });
  const unique =
    (...names: string[]) =>
    () =>
      assertUniqueNames(names.map(entry), 'notes.zip');

  it('accepts distinct names and folders listed before their files', () => {
    expect(unique('src/', 'src/a.ts', 'src/b.ts', 'README.md')).not.toThrow();
  });

  it.each([
    ['that differ only in case', 'README.md', 'readme.md'],
    ['that are equal after case folding', 'straße.ts', 'STRASSE.ts'],
    ['that are equal after NFC normalisation', 'caf\u00e9.ts', 'cafe\u0301.ts'],
    ['of a file and a folder', 'lib', 'lib/index.ts'],
    ['of a folder spelled two ways', 'Src/a.ts', 'src/b.ts'],
    ['of a folder entry and a file', 'lib/', 'lib'],
  ])('refuses two names %s', (_, first, second) => {
    const error = thrown(unique(first, second));
    expect(error.code).toBe('PLG_ARCHIVE_DUPLICATE_ENTRY');
    expect(error.message).toContain("Archive 'notes.zip' entry '");
  });
});

describe('isIgnoredEntry', () => {
  it('ignores macOS resource forks and Finder files only', () => {
    expect(isIgnoredEntry(['__MACOSX', '._app.module.ts'])).toBe(true);
    expect(isIgnoredEntry(['src', '.DS_Store'])).toBe(true);
    expect(isIgnoredEntry(['src', '.env'])).toBe(false);
  });
});
