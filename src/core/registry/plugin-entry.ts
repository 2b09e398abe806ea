import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readdirSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { byName } from '../../discovery/plugin-files';
import type { DiscoveredPlugin } from '../../discovery/plugin-scanner';
import type { PluginRecord } from '../../database/plugin-record.entity';
import type { PluginError } from '../../errors/plugin-error';
import type { LoadedBackend } from '../../loader/plugin-loader';
import type { PluginState } from './plugin-state';

/**
 * What the registry knows of one plugin at this moment. Outside the registry it is read-only
 * (`PluginEntry`); the registry's methods make every change and store what must be stored.
 */
export interface EntryFields {
  id: string;
  /** undefined when the files are gone (state `missing`). */
  discovered?: DiscoveredPlugin;
  record: PluginRecord;
  state: PluginState;
  error?: PluginError;
  /** The imported backend, reused across restarts of the plugin while its files do not change. */
  backend?: LoadedBackend;
  /** Fingerprint of the files `backend` was loaded from. */
  loadedFingerprint?: string;
  /** Fingerprint of the files as last scanned. */
  fingerprint?: string;
  /** Content digest of each file as last scanned, by absolute path (see fingerprintFolder). */
  fileDigests?: ReadonlyMap<string, string>;
  /** Fingerprint whose migrations this process has applied. */
  migratedFingerprint?: string;
  /** Why the latest files could not replace the running version (which keeps serving). */
  reloadError?: PluginError;
  /**
   * Why the plugin failed to start from the files of `fingerprint`: it is not started again on
   * every later change (a hanging hook would cost its timeout each time) until its files change,
   * it is enabled again, or the host restarts.
   */
  startFailure?: { fingerprint?: string; error: PluginError };
}

export type PluginEntry = Readonly<Omit<EntryFields, 'record'>> & { readonly record: Readonly<PluginRecord> };

/** Files up to this size are hashed from one read; bigger ones in chunks of it. */
const STREAM_ABOVE_BYTES = 1024 * 1024;

/** A file's size, and its bytes when it is small enough to be hashed from one read. */
interface SmallFile {
  size: number;
  bytes?: Buffer;
}

/**
 * The reads a fingerprint makes: the event loop's own (blocking) or the thread pool's. A folder's
 * entries come with their types, so only links are stat'ed; a file is opened once, its size taken
 * from the open file.
 */
interface FolderReads {
  readdir(path: string): Dirent[] | Promise<Dirent[]>;
  stat(path: string): Stats | Promise<Stats>;
  readSmall(path: string): SmallFile | Promise<SmallFile>;
}

const POOLED_READS: FolderReads = {
  readdir: (path) => readdir(path, { withFileTypes: true }),
  stat: (path) => stat(path),
  readSmall: async (path) => {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      return size <= STREAM_ABOVE_BYTES ? { size, bytes: await file.readFile() } : { size };
    } finally {
      await file.close();
    }
  },
};

const BLOCKING_READS: FolderReads = {
  readdir: (path) => readdirSync(path, { withFileTypes: true }),
  stat: (path) => statSync(path),
  readSmall: (path) => {
    const fd = openSync(path, 'r');
    try {
      const { size } = fstatSync(fd);
      if (size > STREAM_ABOVE_BYTES) return { size };
      const bytes = Buffer.allocUnsafe(size);
      let read = 0;
      for (let n = -1; read < size && n !== 0; read += n) n = readSync(fd, bytes, read, size - read, read);
      return { size, bytes: bytes.subarray(0, read) };
    } finally {
      closeSync(fd);
    }
  },
};

/** The files whose digests a fingerprint keeps: those the loader may compile (not images, styles, data). */
const CODE_FILE = /\.[cm]?[jt]sx?$/;

/** A plugin folder's identity, and the content digest of each of its code files (by absolute path). */
export interface FolderFingerprint {
  fingerprint: string;
  files: Map<string, string>;
}

/**
 * The identity of a plugin folder: every path with its content; node_modules excluded. Content, not
 * size and modification time: two versions differing in one character, written in the same
 * millisecond, must not look the same. Files are read in chunks, so a big plugin does not stall
 * the event loop while it is hashed. `blocking` reads the folder and its small files on the event
 * loop, four times faster than through the thread pool: for the start, before the host serves.
 * Each code file's digest (sha256 of its bytes) is kept: the compile cache finds the file's
 * compiled code by it without reading the file again.
 */
export async function fingerprintFolder(dir: string, { blocking = false } = {}): Promise<FolderFingerprint> {
  const io = blocking ? BLOCKING_READS : POOLED_READS;
  const hash = createHash('sha256');
  const files = new Map<string, string>();
  const walk = async (current: string, rel: string, depth: number): Promise<void> => {
    if (depth > 12) return;
    let entries: Dirent[];
    try {
      entries = byName(await io.readdir(current));
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = entry.name;
      if (name === 'node_modules' || name === '.git') continue;
      const path = join(current, name);
      try {
        const target = entry.isSymbolicLink() ? await io.stat(path) : entry;
        if (target.isDirectory()) {
          await walk(path, `${rel}${name}/`, depth + 1);
          continue;
        }
        if (!target.isFile()) continue; // a socket or a pipe has no content to read
        const { size, bytes } = await io.readSmall(path);
        const content = createHash('sha256');
        // A small file in one read (a stream costs more than the file); a big one in chunks.
        if (bytes) content.update(bytes);
        else for await (const chunk of createReadStream(path, { highWaterMark: STREAM_ABOVE_BYTES })) content.update(chunk as Buffer);
        const digest = content.digest('hex');
        if (CODE_FILE.test(name)) files.set(path, digest);
        hash.update(`${rel}${name}\0${size}\0${digest}\n`);
      } catch {
        // A file that vanished mid-scan changes the fingerprint by its absence.
      }
    }
  };
  await walk(dir, '', 0);
  return { fingerprint: hash.digest('hex'), files };
}
