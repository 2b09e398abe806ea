import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../errors/error-codes';
import { PluginError } from '../errors/plugin-error';
import type { ArchiveLimits } from './archive-limits';
import { PluginArchiveInstaller } from './plugin-archive-installer';
import { makeTempFolder, removeFolder, snapshotFolder } from './test-folders';
import { buildZip, minimalPlugin, unixAttr, type TestZipEntry } from './test-zip';

interface Refusal {
  title: string;
  zip: () => Buffer;
  code: ErrorCode;
  /** Parts of the message that name the subject. */
  names: string[];
  fileName?: string;
  limits?: Partial<ArchiveLimits>;
  /** Refused only once the files are staged (the layout check needs them on disk). */
  afterExtraction?: boolean;
}

const plugin = minimalPlugin('', { id: 'notes' });
const zipOf =
  (...extra: TestZipEntry[]) =>
  () =>
    buildZip([...plugin, ...extra]);
const pkwareLink = (target: string) => Buffer.concat([Buffer.from([0x0d, 0x00, 12 + target.length, 0x00]), Buffer.alloc(12), Buffer.from(target)]);
const withoutLocalSignature = (zip: Buffer) => {
  zip.writeUInt32LE(0, 0);
  return zip;
};

const refusals: Refusal[] = [
  { title: "an entry with a '..' segment", zip: zipOf({ name: '../evil.ts', data: 'x' }), code: 'PLG_ARCHIVE_UNSAFE_PATH', names: ['../evil.ts'] },
  { title: 'an entry with an absolute path', zip: zipOf({ name: '/tmp/evil.ts', data: 'x' }), code: 'PLG_ARCHIVE_UNSAFE_PATH', names: ['/tmp/evil.ts'] },
  { title: 'an entry spelled with backslashes', zip: zipOf({ name: 'src\\..\\..\\evil.ts', data: 'x' }), code: 'PLG_ARCHIVE_UNSAFE_PATH', names: ['evil.ts'] },
  { title: 'an entry with a drive letter', zip: zipOf({ name: 'C:/evil.ts', data: 'x' }), code: 'PLG_ARCHIVE_UNSAFE_PATH', names: ['C:/evil.ts'] },
  { title: 'an entry with a NUL character', zip: zipOf({ name: 'evil.ts\u0000.png', data: 'x' }), code: 'PLG_ARCHIVE_UNSAFE_PATH', names: ['evil.ts\\u0000.png'] },
  { title: 'an entry with a segment over 255 bytes', zip: zipOf({ name: `src/${'a'.repeat(256)}`, data: 'x' }), code: 'PLG_ARCHIVE_NAME_TOO_LONG', names: ['src/aaa'] },
  { title: 'an entry with a name over 1024 bytes', zip: zipOf({ name: `${'b'.repeat(200)}/`.repeat(6) + 'x.ts', data: 'x' }), code: 'PLG_ARCHIVE_NAME_TOO_LONG', names: ['bbb'] },
  { title: 'an entry nested deeper than 32 levels', zip: zipOf({ name: `${'d/'.repeat(33)}x.ts`, data: 'x' }), code: 'PLG_ARCHIVE_PATH_TOO_DEEP', names: ['d/d/d/'] },
  { title: 'two entries with one name', zip: zipOf({ name: 'app.module.ts', data: 'x' }), code: 'PLG_ARCHIVE_DUPLICATE_ENTRY', names: ["entry 'app.module.ts'"] },
  {
    title: 'two entries whose names differ only in case',
    zip: zipOf({ name: 'README.md', data: 'a' }, { name: 'readme.md', data: 'b' }),
    code: 'PLG_ARCHIVE_DUPLICATE_ENTRY',
    names: ['readme.md', 'README.md'],
  },
  { title: 'two entries equal after NFC normalisation', zip: zipOf({ name: 'caf\u00e9.ts', data: 'a' }, { name: 'cafe\u0301.ts', data: 'b' }), code: 'PLG_ARCHIVE_DUPLICATE_ENTRY', names: ['caf'] },
  { title: 'a symbolic link', zip: zipOf({ name: 'secrets', data: '/etc/passwd', method: 0, attr: unixAttr(0o120777) }), code: 'PLG_ARCHIVE_LINK', names: ['secrets'] },
  { title: 'a hard link', zip: zipOf({ name: 'secrets', data: '', extra: pkwareLink('/etc/passwd') }), code: 'PLG_ARCHIVE_LINK', names: ['secrets'] },
  { title: 'a fifo', zip: zipOf({ name: 'pipe', data: '', attr: unixAttr(0o010644) }), code: 'PLG_ARCHIVE_SPECIAL_FILE', names: ['pipe'] },
  { title: 'a device', zip: zipOf({ name: 'disk', data: '', attr: unixAttr(0o060600) }), code: 'PLG_ARCHIVE_SPECIAL_FILE', names: ['disk'] },
  { title: 'an encrypted entry', zip: zipOf({ name: 'secret.ts', data: 'x', flags: 0x0801 }), code: 'PLG_ARCHIVE_ENCRYPTED', names: ['secret.ts'] },
  { title: 'an entry compressed with bzip2', zip: zipOf({ name: 'big.ts', data: 'x', method: 12 }), code: 'PLG_ARCHIVE_UNSUPPORTED_METHOD', names: ['big.ts', 'method 12'] },
  { title: 'an entry whose CRC does not match', zip: zipOf({ name: 'src/a.ts', data: 'export {}', crc: 0xdeadbeef }), code: 'PLG_ARCHIVE_CORRUPT', names: ['src/a.ts', 'CRC'] },
  {
    title: 'an entry whose deflate data is garbage',
    zip: zipOf({ name: 'src/a.ts', data: 'export {}', compressed: Buffer.from([0xff, 0xff, 0xff, 0xff]) }),
    code: 'PLG_ARCHIVE_CORRUPT',
    names: ['src/a.ts'],
  },
  { title: 'an entry whose local header is missing', zip: () => withoutLocalSignature(buildZip(plugin)), code: 'PLG_ARCHIVE_CORRUPT', names: ['plugin.json'] },
  { title: 'an entry whose local header names another file', zip: zipOf({ name: 'a.ts', localName: '../a.ts', data: 'x' }), code: 'PLG_ARCHIVE_CORRUPT', names: ['a.ts'] },
  { title: 'a file that is not a zip', zip: () => Buffer.from('this is not a zip'), code: 'PLG_ARCHIVE_CORRUPT', names: [] },
  { title: 'a zip cut short', zip: () => buildZip(plugin).subarray(0, 60), code: 'PLG_ARCHIVE_CORRUPT', names: [] },
  { title: 'more entries than the limit', zip: zipOf({ name: 'a.ts', data: 'x' }), code: 'PLG_ARCHIVE_TOO_MANY_ENTRIES', names: ['3 entries'], limits: { maxEntries: 2 } },
  { title: 'more declared bytes than the limit', zip: zipOf({ name: 'a.ts', data: 'x'.repeat(400) }), code: 'PLG_ARCHIVE_UNCOMPRESSED_TOO_LARGE', names: ['a.ts'], limits: { maxTotalBytes: 300 } },
  { title: 'an entry compressed more than 100 times', zip: zipOf({ name: 'zeros.bin', data: Buffer.alloc(2 * 1024 * 1024) }), code: 'PLG_ARCHIVE_COMPRESSION_RATIO', names: ['zeros.bin'] },
  { title: 'an archive bigger than the limit', zip: zipOf(), code: 'PLG_ARCHIVE_TOO_LARGE', names: [], limits: { maxArchiveBytes: 100 } },
  {
    title: 'an entry that inflates to more than it declares',
    zip: zipOf({ name: 'bomb.bin', data: Buffer.alloc(20 * 1024 * 1024), size: 1000 }),
    code: 'PLG_ARCHIVE_SIZE_MISMATCH',
    names: ['bomb.bin', '1000 bytes'],
  },
  { title: 'an entry that inflates to less than it declares', zip: zipOf({ name: 'a.ts', data: 'x'.repeat(100), size: 500 }), code: 'PLG_ARCHIVE_SIZE_MISMATCH', names: ['a.ts', '500 bytes'] },
  { title: 'a stored entry holding more than it declares', zip: zipOf({ name: 'a.ts', data: 'x'.repeat(100), method: 0, size: 50 }), code: 'PLG_ARCHIVE_SIZE_MISMATCH', names: ['a.ts'] },
  { title: 'a descriptor that is not JSON', zip: () => buildZip([{ name: 'plugin.json', data: '{ nope' }, ...minimalPlugin()]), code: 'PLG_INVALID_DESCRIPTOR', names: ['plugin.json'] },
  { title: 'an invalid id in plugin.json', zip: () => buildZip(minimalPlugin('', { id: 'Bad Id' })), code: 'PLG_INVALID_ID', names: ['Bad Id'] },
  { title: 'a reserved id from the zip name', zip: () => buildZip(minimalPlugin()), fileName: 'admin.zip', code: 'PLG_RESERVED_ID', names: ['admin'] },
  { title: 'an invalid id from the top folder', zip: () => buildZip(minimalPlugin('My Plugin (2)/')), code: 'PLG_INVALID_ID', names: ['my-plugin-(2)'] },
  { title: 'an archive with folders only', zip: () => buildZip([{ name: 'src/' }]), code: 'PLG_NO_ENTRY', names: [] },
  {
    title: 'a plugin with no backend marker and no frontend manifest',
    zip: () => buildZip([{ name: 'README.md', data: '# notes' }]),
    code: 'PLG_NO_ENTRY',
    names: ["Archive 'notes.zip'", "Plugin 'notes'"],
    afterExtraction: true,
  },
];

describe('PluginArchiveInstaller refusals', () => {
  let root: string;
  let pluginsDir: string;
  let stagingDir: string;

  beforeEach(() => {
    root = makeTempFolder('archive-refusal');
    pluginsDir = join(root, 'plugins');
    stagingDir = join(root, 'data', 'staging');
    mkdirSync(join(pluginsDir, 'notes', 'src'), { recursive: true });
    writeFileSync(join(pluginsDir, 'notes', 'app.module.ts'), 'export class AppModule {}\n');
    writeFileSync(join(pluginsDir, 'notes', 'src', 'tool.sh'), '#!/bin/sh\n');
    chmodSync(join(pluginsDir, 'notes', 'src', 'tool.sh'), 0o750);
  });

  afterEach(() => removeFolder(root));

  it.each(refusals)('refuses $title with $code and leaves the plugins folder untouched', async (refusal) => {
    const before = snapshotFolder(pluginsDir);
    const installer = new PluginArchiveInstaller({ pluginsDir, stagingDir, limits: refusal.limits });
    const fileName = refusal.fileName ?? 'notes.zip';

    const error = await installer.stage(refusal.zip(), fileName).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: refusal.code });
    const { message } = error as PluginError;
    if (refusal.code.startsWith('PLG_ARCHIVE_')) expect(message).toContain(`Archive '${fileName}'`);
    for (const name of refusal.names) expect(message).toContain(name);
    expect(snapshotFolder(pluginsDir)).toBe(before);
    if (refusal.afterExtraction) expect(readdirSync(stagingDir)).toEqual([]);
    else expect(existsSync(stagingDir)).toBe(false);
  });
});
