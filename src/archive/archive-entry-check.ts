import type { ErrorCode } from '../errors/error-codes';
import { PluginError } from '../errors/plugin-error';
import type { ArchiveLimits } from './archive-limits';

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE_LETTER = /^[A-Za-z]:/;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_REPARSE_POINT = 0x400;
const PKWARE_UNIX_EXTRA = 0x000d;
const ASI_UNIX_EXTRA = 0x756e;

const PATH_HINT = 'Rebuild the zip from the plugin folder with plain relative paths (appnest pack does this).';

/** Entry names are attacker-controlled: escape control characters and cap the length before quoting one. */
export function printable(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length > 160 ? `${escaped.slice(0, 160)}...` : escaped;
}

export function archiveError(code: ErrorCode, archive: string, entry: string | undefined, problem: string, hint: string, cause?: unknown): PluginError {
  const subject = entry === undefined ? `Archive '${printable(archive)}'` : `Archive '${printable(archive)}' entry '${printable(entry)}'`;
  return new PluginError(code, `${subject} ${problem}`, {
    hint,
    cause,
    details: entry === undefined ? { archive } : { archive, entry: printable(entry) },
  });
}

/** Checks one entry name and returns its path segments (without the trailing "/" of a folder). */
export function checkEntryName(name: string, raw: Buffer, archive: string, limits: ArchiveLimits): string[] {
  const unsafe = (why: string) => archiveError('PLG_ARCHIVE_UNSAFE_PATH', archive, name, `could escape the plugin folder: ${why}.`, PATH_HINT);
  if (!Buffer.from(name, 'utf8').equals(raw)) throw unsafe('its name is not valid UTF-8');
  if (name === '') throw unsafe('its name is empty');
  if (CONTROL_CHARACTER.test(name)) throw unsafe('its name holds a NUL or control character');
  if (name.includes('\\')) throw unsafe('its name holds a backslash');
  if (name.startsWith('/')) throw unsafe('it is an absolute path');
  if (DRIVE_LETTER.test(name)) throw unsafe('it starts with a drive letter');
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  if (segments.includes('..')) throw unsafe("it has a '..' segment");
  if (segments.some((s) => s === '' || s === '.')) throw unsafe("it has an empty or '.' segment");

  const tooLong = (what: string) => archiveError('PLG_ARCHIVE_NAME_TOO_LONG', archive, name, `has ${what}.`, 'Shorten the file and folder names of the plugin.');
  if (Buffer.byteLength(name) > limits.maxNameBytes) throw tooLong(`a name longer than ${limits.maxNameBytes} bytes`);
  if (segments.some((s) => Buffer.byteLength(s) > limits.maxSegmentBytes)) {
    throw tooLong(`a path segment longer than ${limits.maxSegmentBytes} bytes`);
  }
  if (segments.length > limits.maxDepth) {
    throw archiveError('PLG_ARCHIVE_PATH_TOO_DEEP', archive, name, `is nested ${segments.length} levels deep; the limit is ${limits.maxDepth}.`, 'Flatten the folder structure of the plugin.');
  }
  return segments;
}

function linkInExtraField(extra: Buffer): boolean {
  for (let at = 0; at + 4 <= extra.length;) {
    const tag = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    const body = extra.subarray(at + 4, at + 4 + size);
    // Both Unix extra fields carry the "linked to" name of a hard or symbolic link.
    if (tag === PKWARE_UNIX_EXTRA && body.length > 12) return true;
    if (tag === ASI_UNIX_EXTRA && body.length >= 10) {
      if ((body.readUInt16LE(4) & S_IFMT) === S_IFLNK || body.readUInt32LE(6) > 0) return true;
    }
    at += 4 + size;
  }
  return false;
}

/** Refuses links and special files, however the archive spells them (Unix mode, DOS reparse point, extra fields). */
export function checkEntryKind(name: string, externalAttr: number, extraFields: Buffer[], archive: string): void {
  const type = (externalAttr >>> 16) & S_IFMT;
  const link = (kind: string) =>
    archiveError('PLG_ARCHIVE_LINK', archive, name, `is a ${kind} link; plugin archives may hold only files and folders.`, 'Replace the link with a copy of the file it points to.');
  if (type === S_IFLNK || (externalAttr & DOS_REPARSE_POINT) !== 0) throw link('symbolic');
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw archiveError(
      'PLG_ARCHIVE_SPECIAL_FILE',
      archive,
      name,
      'is a device, fifo or socket; plugin archives may hold only files and folders.',
      'Remove the special file from the plugin folder before zipping it.',
    );
  }
  if (extraFields.some(linkInExtraField)) throw link('hard or symbolic');
}

/** __MACOSX/ resource forks and Finder's .DS_Store are never part of a plugin. */
export function isIgnoredEntry(segments: readonly string[]): boolean {
  return segments[0] === '__MACOSX' || segments[segments.length - 1] === '.DS_Store';
}

function foldName(path: string): string {
  return path.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * Refuses two entries that would land on one path on some file system: equal after NFC
 * normalisation and case folding, a file and a folder of one name, or one folder spelled two ways.
 */
export function assertUniqueNames(entries: readonly { name: string; segments: readonly string[]; isDirectory: boolean }[], archive: string): void {
  const duplicate = (name: string, other: string, how: string) =>
    archiveError(
      'PLG_ARCHIVE_DUPLICATE_ENTRY',
      archive,
      name,
      `${how} '${printable(other)}' (names are compared after Unicode NFC normalisation and case folding).`,
      'Remove or rename one of them; a plugin must unpack the same way on every file system.',
    );
  const explicit = new Map<string, string>();
  const files = new Map<string, string>();
  const folders = new Map<string, { spelling: string; entry: string }>();
  for (const { name, segments, isDirectory } of entries) {
    const key = foldName(segments.join('/'));
    const seen = explicit.get(key);
    if (seen !== undefined) throw duplicate(name, seen, 'names the same path as');
    explicit.set(key, name);
    if (!isDirectory) files.set(key, name);
    const folderCount = isDirectory ? segments.length : segments.length - 1;
    for (let depth = 1; depth <= folderCount; depth++) {
      const spelling = segments.slice(0, depth).join('/');
      const folderKey = foldName(spelling);
      const known = folders.get(folderKey);
      if (known === undefined) folders.set(folderKey, { spelling, entry: name });
      else if (known.spelling !== spelling) throw duplicate(name, known.entry, `spells folder '${printable(spelling)}' differently from`);
    }
  }
  for (const [key, name] of files) {
    const folder = folders.get(key);
    if (folder) throw duplicate(name, folder.entry, 'is a file, but a folder of that name holds');
  }
}
