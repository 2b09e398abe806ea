import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The reads a fingerprint makes: the event loop's own (blocking) or the thread pool's. */
interface FolderReads {
  readdir(path: string): string[] | Promise<string[]>;
  stat(path: string): Stats | Promise<Stats>;
  readFile(path: string): Buffer | Promise<Buffer>;
}

const POOLED_READS: FolderReads = { readdir: (path) => readdir(path), stat: (path) => stat(path), readFile: (path) => readFile(path) };
const BLOCKING_READS: FolderReads = { readdir: (path) => readdirSync(path), stat: (path) => statSync(path), readFile: (path) => readFileSync(path) };

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
    let names: string[];
    try {
      names = (await io.readdir(current)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name === 'node_modules' || name === '.git') continue;
      const path = join(current, name);
      try {
        const info = await io.stat(path);
        if (info.isDirectory()) {
          await walk(path, `${rel}${name}/`, depth + 1);
          continue;
        }
        const content = createHash('sha256');
        // A small file in one read (a stream costs more than the file); a big one in chunks.
        if (info.size <= STREAM_ABOVE_BYTES) content.update(await io.readFile(path));
        else for await (const chunk of createReadStream(path, { highWaterMark: STREAM_ABOVE_BYTES })) content.update(chunk as Buffer);
        const digest = content.digest('hex');
        if (CODE_FILE.test(name)) files.set(path, digest);
        hash.update(`${rel}${name}\0${info.size}\0${digest}\n`);
      } catch {
        // A file that vanished mid-scan changes the fingerprint by its absence.
      }
    }
  };
  await walk(dir, '', 0);
  return { fingerprint: hash.digest('hex'), files };
}
