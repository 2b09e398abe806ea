import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PluginError, toPluginError } from '../errors/plugin-error';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { assertUniqueNames, isIgnoredEntry, printable } from './archive-entry-check';
import { findDescriptorEntry, resolveLayout, resolvePluginId, type PlacedEntry } from './archive-layout';
import { resolveArchiveLimits, type ArchiveLimits } from './archive-limits';
import { inflateEntry, readArchive, sha256Of, type ArchiveEntry } from './archive-reader';
import { commitStagedPlugin, removeQuietly } from './staged-plugin-commit';
import { processTag, STAGE_PREFIX } from './install-journal';
import { forgetPreviousVersion, previousRootOf, readPreviousVersion, type PreviousVersion } from './previous-version';

export const NO_PREVIOUS_HINT =
  'Only an upgrade (an install with overwrite) keeps the version it replaces, one per plugin, until the next upgrade or a rollback; upload the version you want with overwrite instead.';

export const FILE_MODE = 0o644;
/** The longest archive file name kept (audit and stored archive): one file name segment. */
export const MAX_ARCHIVE_NAME_BYTES = 255;
export const FOLDER_MODE = 0o755;
// Entries inflated while verifying are kept for the write pass up to this many bytes; the rest are inflated again.
const VERIFIED_CACHE_BYTES = 32 * 1024 * 1024;

export interface InstalledPlugin {
  id: string;
  /** The plugin's folder in pluginsDir. */
  dir: string;
  /** true when an installed version was moved aside to make room. */
  replaced: boolean;
  /**
   * Puts the previous version back (for a new id: removes the files). Call it when a later step of
   * the install fails.
   */
  restore(): Promise<void>;
  /** Deletes the previous version kept aside; call it once every later step has succeeded. */
  finish(): Promise<void>;
  /**
   * Instead of finish(): keeps the previous version (replacing the one kept before) in
   * `<pluginsDir>/.previous/<id>/` for a rollback. For a new id, the same as finish().
   */
  keepPrevious(meta: Omit<PreviousVersion, 'id' | 'keptAt'>): Promise<void>;
}

export interface StagedPlugin {
  id: string;
  /** The staged plugin root, outside pluginsDir. */
  dir: string;
  /** SHA-256 (hex) of the archive. */
  sha256: string;
  /** Files written. */
  entries: number;
  /** Bytes written. */
  bytes: number;
  /**
   * Moves the staged folder into pluginsDir. Refuses PLG_ALREADY_INSTALLED when the id is
   * installed (and overwrite is false) or being installed; the staging folder is removed then.
   * The id stays locked, and the install journal names it, until finish() or restore().
   */
  commit(options: { overwrite: boolean }): Promise<InstalledPlugin>;
  discard(): Promise<void>;
}

export interface PluginArchiveInstallerOptions {
  pluginsDir: string;
  /** Must be on the file system of pluginsDir, so that commit is a rename. */
  stagingDir: string;
  limits?: Partial<ArchiveLimits>;
}

/** The one code path that turns an uploaded plugin zip into a plugin folder. */
export class PluginArchiveInstaller {
  private readonly pluginsDir: string;
  private readonly stagingDir: string;
  private readonly limits: ArchiveLimits;

  constructor(options: PluginArchiveInstallerOptions) {
    this.pluginsDir = options.pluginsDir;
    this.stagingDir = options.stagingDir;
    this.limits = resolveArchiveLimits(options.limits);
  }

  /** Validates and extracts the archive into a staging folder; writes nothing in pluginsDir. */
  async stage(archive: Buffer, fileName: string): Promise<StagedPlugin> {
    const archiveName = basename(fileName.replace(/\\/g, '/')) || 'upload.zip';
    if (Buffer.byteLength(archiveName) > MAX_ARCHIVE_NAME_BYTES) {
      throw new PluginError(
        'PLG_BAD_REQUEST',
        `The archive name '${printable(archiveName.slice(0, 40))}...' is ${Buffer.byteLength(archiveName)} bytes long; at most ${MAX_ARCHIVE_NAME_BYTES} are allowed.`,
        {
          hint: 'Rename the zip (for example to <id>-<version>.zip) and upload it again.',
          details: { field: 'file' },
        },
      );
    }
    const all = readArchive(archive, archiveName, this.limits);
    assertUniqueNames(all, archiveName);
    const kept = all.filter((e) => !isIgnoredEntry(e.segments));
    const sha256 = await sha256Of(archive);
    const verified = await verifyEntries(kept, archiveName);
    const layout = resolveLayout(kept, archiveName);
    const descriptor = findDescriptorEntry(layout);
    const descriptorText = descriptor && (verified.get(descriptor.entry) ?? (await inflateEntry(descriptor.entry, archiveName))).toString('utf8');
    const id = resolvePluginId(layout, descriptorText, archiveName);

    const stageRoot = await mkdir(this.stagingDir, { recursive: true })
      .then(() => mkdtemp(join(this.stagingDir, `${STAGE_PREFIX}${processTag()}`)))
      .catch((err: unknown) => {
        throw toPluginError(err, 'PLG_INTERNAL', id, `could not get a staging folder in '${this.stagingDir}'`);
      });
    const dir = join(stageRoot, id);
    try {
      const written = await writeEntries(dir, layout.entries, verified, archiveName);
      const plugin = readPluginFolder(dir, 'plugins', id);
      if (plugin.error) {
        const { code, message, hint } = plugin.error;
        throw new PluginError(code, `Archive '${printable(archiveName)}': ${message}`, { pluginId: id, hint, cause: plugin.error });
      }
      return this.staged(id, dir, stageRoot, sha256, written);
    } catch (err) {
      await removeQuietly(stageRoot);
      throw toPluginError(err, 'PLG_INTERNAL', id, `could not be staged from '${printable(archiveName)}'`);
    }
  }

  /** The version the last upgrade of `id` kept, if any. */
  previousVersion(id: string): PreviousVersion | undefined {
    return readPreviousVersion(this.pluginsDir, id);
  }

  /**
   * Puts the kept previous version of `id` in place of the installed one, journaled as an install
   * of the previous archive (sha256 '' when it had none): restore() brings the replaced version
   * back, finish() deletes it. The kept copy is used up either way.
   */
  async commitPrevious(id: string): Promise<{ installed: InstalledPlugin; previous: PreviousVersion }> {
    const previous = readPreviousVersion(this.pluginsDir, id);
    if (!previous) throw new PluginError('PLG_NO_PREVIOUS_VERSION', `Plugin '${id}' has no previous version kept here to roll back to.`, { pluginId: id, hint: NO_PREVIOUS_HINT });
    const root = previousRootOf(this.pluginsDir, id);
    const installed = await commitStagedPlugin({ id, dir: join(root, id), stageRoot: root, pluginsDir: this.pluginsDir, stagingDir: this.stagingDir, overwrite: true, sha256: previous.sha256 ?? '' });
    return { installed, previous };
  }

  /** Drops the kept previous version of `id` (an uninstall). */
  forgetPrevious(id: string): Promise<void> {
    return forgetPreviousVersion(this.pluginsDir, id);
  }

  private staged(id: string, dir: string, stageRoot: string, sha256: string, written: { files: number; bytes: number }): StagedPlugin {
    let settled = false;
    const { pluginsDir, stagingDir } = this;
    const settle = () => {
      if (settled) throw new PluginError('PLG_INTERNAL', `Staged plugin '${id}' was already committed or discarded.`, { pluginId: id });
      settled = true;
    };
    return {
      id,
      dir,
      sha256,
      entries: written.files,
      bytes: written.bytes,
      commit: async ({ overwrite }) => {
        settle();
        return commitStagedPlugin({ id, dir, stageRoot, pluginsDir, stagingDir, overwrite, sha256 });
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(stageRoot, { recursive: true, force: true });
      },
    };
  }
}

/** Inflates and checks every entry before anything is written, keeping small results for the write pass. */
async function verifyEntries(entries: readonly ArchiveEntry[], archive: string): Promise<Map<ArchiveEntry, Buffer>> {
  const kept = new Map<ArchiveEntry, Buffer>();
  let keptBytes = 0;
  for (const entry of entries) {
    if (entry.isDirectory) continue;
    const data = await inflateEntry(entry, archive);
    if (keptBytes + data.length <= VERIFIED_CACHE_BYTES) {
      kept.set(entry, data);
      keptBytes += data.length;
    }
    await yieldToEventLoop();
  }
  return kept;
}

async function writeEntries(root: string, entries: readonly PlacedEntry[], verified: Map<ArchiveEntry, Buffer>, archive: string) {
  const made = new Set<string>();
  const ensureFolder = async (segments: readonly string[]) => {
    for (let depth = 0; depth <= segments.length; depth++) {
      const folder = join(root, ...segments.slice(0, depth));
      if (made.has(folder)) continue;
      await mkdir(folder, { mode: FOLDER_MODE });
      await chmod(folder, FOLDER_MODE);
      made.add(folder);
    }
  };
  let files = 0;
  let bytes = 0;
  await ensureFolder([]);
  for (const { entry, path } of entries) {
    if (entry.isDirectory) {
      await ensureFolder(path);
      continue;
    }
    await ensureFolder(path.slice(0, -1));
    const data = verified.get(entry) ?? (await inflateEntry(entry, archive));
    const file = join(root, ...path);
    await writeFile(file, data, { flag: 'wx', mode: FILE_MODE });
    await chmod(file, FILE_MODE);
    files += 1;
    bytes += data.length;
    await yieldToEventLoop();
  }
  return { files, bytes };
}
