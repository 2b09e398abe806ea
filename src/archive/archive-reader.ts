import type AdmZip from 'adm-zip';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { crc32, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib';
import { archiveError, checkEntryKind, checkEntryName } from './archive-entry-check';
import type { ArchiveLimits } from './archive-limits';

const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

const inflate = promisify<InputType, ZlibOptions, Buffer>(inflateRaw);

/** One archive entry whose headers passed every check; its data is not yet inflated. */
export interface ArchiveEntry {
  name: string;
  segments: string[];
  isDirectory: boolean;
  method: number;
  crc: number;
  size: number;
  compressed: Buffer;
}

const CORRUPT_HINT = 'The zip is damaged or was not written by a standard zip tool; build it again (appnest pack).';

function corrupt(archive: string, entry: string | undefined, problem: string, cause?: unknown) {
  return archiveError('PLG_ARCHIVE_CORRUPT', archive, entry, problem, CORRUPT_HINT, cause);
}

function openZip(buffer: Buffer, archive: string, limits: ArchiveLimits): AdmZip.IZipEntry[] {
  let zip: AdmZip;
  try {
    // Loaded on first use: most starts never read an archive.
    const AdmZipClass = require('adm-zip') as typeof AdmZip;
    zip = new AdmZipClass(buffer);
  } catch (err) {
    throw corrupt(archive, undefined, `is not a readable zip: ${(err as Error).message}.`, err);
  }
  const declared = zip.getEntryCount();
  if (declared > limits.maxEntries) {
    throw archiveError(
      'PLG_ARCHIVE_TOO_MANY_ENTRIES',
      archive,
      undefined,
      `holds ${declared} entries; the limit is ${limits.maxEntries}.`,
      'Pack the plugin with appnest pack, which ships only what runs, or raise the entry limit.',
    );
  }
  try {
    return zip.getEntries();
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes('Duplicate entry')) {
      const name = /"(.*)"/s.exec(message)?.[1];
      throw archiveError('PLG_ARCHIVE_DUPLICATE_ENTRY', archive, name, 'appears twice in the archive.', 'Remove one of the two entries.', err);
    }
    throw corrupt(archive, undefined, `has an unreadable central directory: ${message}.`, err);
  }
}

/** The local header must agree with the central directory, or other unzip tools would see another archive. */
function checkLocalHeader(buffer: Buffer, entry: AdmZip.IZipEntry, archive: string): Buffer {
  const { offset, method, flags } = entry.header;
  if (offset + LOCAL_HEADER_BYTES > buffer.length || buffer.readUInt32LE(offset) !== LOCAL_HEADER_SIGNATURE) {
    throw corrupt(archive, entry.entryName, 'has no valid local header.');
  }
  const localFlags = buffer.readUInt16LE(offset + 6);
  const localMethod = buffer.readUInt16LE(offset + 8);
  const nameLength = buffer.readUInt16LE(offset + 26);
  const extraLength = buffer.readUInt16LE(offset + 28);
  const nameStart = offset + LOCAL_HEADER_BYTES;
  const localName = buffer.subarray(nameStart, nameStart + nameLength);
  if (nameStart + nameLength + extraLength > buffer.length) throw corrupt(archive, entry.entryName, 'has a truncated local header.');
  if (!localName.equals(entry.rawEntryName) || localMethod !== method || (localFlags & FLAG_ENCRYPTED) !== (flags & FLAG_ENCRYPTED)) {
    throw corrupt(archive, entry.entryName, 'has a local header that disagrees with the central directory.');
  }
  return buffer.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
}

/**
 * Reads the central directory and checks every entry's name, kind, flags and declared sizes.
 * Synchronous and cheap: no entry data is inflated here.
 */
export function readArchive(buffer: Buffer, archive: string, limits: ArchiveLimits): ArchiveEntry[] {
  if (buffer.length > limits.maxArchiveBytes) {
    throw archiveError(
      'PLG_ARCHIVE_TOO_LARGE',
      archive,
      undefined,
      `is ${buffer.length} bytes; the limit is ${limits.maxArchiveBytes}.`,
      'Pack the plugin with appnest pack, which ships only what runs, or raise the archive size limit.',
    );
  }
  const raw = openZip(buffer, archive, limits);
  let total = 0;
  return raw.map((entry) => {
    const { header, entryName: name } = entry;
    const segments = checkEntryName(name, entry.rawEntryName, archive, limits);
    const localExtra = checkLocalHeader(buffer, entry, archive);
    checkEntryKind(name, header.attr, [entry.extra, localExtra], archive);
    if (header.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) {
      throw archiveError('PLG_ARCHIVE_ENCRYPTED', archive, name, 'is encrypted; the host cannot check what it holds.', 'Zip the plugin without a password.');
    }
    if (header.method !== STORED && header.method !== DEFLATED) {
      throw archiveError(
        'PLG_ARCHIVE_UNSUPPORTED_METHOD',
        archive,
        name,
        `uses compression method ${header.method}; only stored (0) and deflate (8) are read.`,
        'Zip the plugin with standard deflate compression.',
      );
    }
    total += header.size;
    if (total > limits.maxTotalBytes) {
      throw archiveError(
        'PLG_ARCHIVE_UNCOMPRESSED_TOO_LARGE',
        archive,
        name,
        `brings the declared uncompressed size to ${total} bytes; the limit is ${limits.maxTotalBytes}.`,
        'Pack the plugin with appnest pack, which ships only what runs, or raise the total size limit.',
      );
    }
    const ratio = header.size / Math.max(1, header.compressedSize);
    if (header.size > limits.ratioThresholdBytes && ratio > limits.maxCompressionRatio) {
      throw archiveError(
        'PLG_ARCHIVE_COMPRESSION_RATIO',
        archive,
        name,
        `expands ${Math.round(ratio)} times (${header.compressedSize} to ${header.size} bytes); the limit is ${limits.maxCompressionRatio}.`,
        'This looks like a zip bomb; rebuild the zip from the real plugin files.',
      );
    }
    if (entry.isDirectory && header.size > 0) throw corrupt(archive, name, 'is a folder that declares content.');
    let compressed: Buffer;
    try {
      compressed = entry.getCompressedData();
    } catch (err) {
      throw corrupt(archive, name, `cannot be read: ${(err as Error).message}.`, err);
    }
    return { name, segments, isDirectory: entry.isDirectory, method: header.method, crc: header.crc, size: header.size, compressed };
  });
}

function sizeMismatch(archive: string, entry: ArchiveEntry, actual: string) {
  return archiveError(
    'PLG_ARCHIVE_SIZE_MISMATCH',
    archive,
    entry.name,
    `declares ${entry.size} bytes but holds ${actual}.`,
    'The zip headers lie about the content; rebuild the zip with a standard zip tool.',
  );
}

/** Inflates one entry off the main thread, never producing more than its declared size, and checks its CRC. */
export async function inflateEntry(entry: ArchiveEntry, archive: string): Promise<Buffer> {
  let data: Buffer;
  if (entry.method === STORED || entry.compressed.length === 0) {
    data = entry.compressed;
  } else {
    try {
      data = await inflate(entry.compressed, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw sizeMismatch(archive, entry, 'more');
      throw corrupt(archive, entry.name, `does not inflate: ${(err as Error).message}.`, err);
    }
  }
  if (data.length !== entry.size) throw sizeMismatch(archive, entry, `${data.length}`);
  if (crc32(data) !== entry.crc) throw corrupt(archive, entry.name, 'fails its CRC check.');
  return data;
}

/** SHA-256 (hex) of the archive, hashed in slices so a large upload does not stall the event loop. */
export async function sha256Of(buffer: Buffer): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < buffer.length; at += HASH_CHUNK_BYTES) {
    hash.update(buffer.subarray(at, at + HASH_CHUNK_BYTES));
    await yieldToEventLoop();
  }
  return hash.digest('hex');
}
