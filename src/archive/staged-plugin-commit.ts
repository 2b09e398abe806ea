import { lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PluginError, toPluginError } from '../errors/plugin-error';
import { BACKUP_PREFIX, InstallJournal, processTag } from './install-journal';
import type { InstalledPlugin } from './plugin-archive-installer';
import { keepPreviousVersion, type PreviousVersion } from './previous-version';

// Ids being committed (or replaced and not yet finished or restored) in this process, by target folder.
const locked = new Set<string>();

export interface CommitRequest {
  id: string;
  dir: string;
  stageRoot: string;
  pluginsDir: string;
  stagingDir: string;
  overwrite: boolean;
  sha256: string;
}

function alreadyInstalled(id: string, why: string): PluginError {
  return new PluginError('PLG_ALREADY_INSTALLED', `Plugin '${id}' ${why}.`, {
    pluginId: id,
    hint: 'Install it with overwrite to replace the installed version, or uninstall it first.',
  });
}

/** Cleanup that must not replace the outcome it follows: the original error, or a finished install. */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function isTargetTaken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/** Renames the staged folder into pluginsDir, moving an installed version aside when overwriting. */
export async function commitStagedPlugin(request: CommitRequest): Promise<InstalledPlugin> {
  const { id, dir, stageRoot, pluginsDir, stagingDir, overwrite, sha256 } = request;
  const journal = new InstallJournal(stagingDir);
  const target = join(pluginsDir, id);
  const key = resolve(target);
  let acquired = false;
  let keepLock = false;
  try {
    if (locked.has(key)) throw alreadyInstalled(id, 'is being installed by another request; try again when it has finished');
    locked.add(key);
    acquired = true;
    await mkdir(pluginsDir, { recursive: true });
    if (!(await exists(target))) {
      await journal.write({ id, sha256, target, backupRoot: null, pid: process.pid, startedAt: new Date().toISOString() });
      try {
        await rename(dir, target);
      } catch (err) {
        await journal.clear(id);
        throw isTargetTaken(err) ? alreadyInstalled(id, 'was installed by another process meanwhile') : err;
      }
      keepLock = true;
      return settled(id, target, false, key, journal, {
        restore: () => rm(target, { recursive: true, force: true }),
        finish: async () => {},
        keep: async () => {},
      });
    }
    if (!overwrite) throw alreadyInstalled(id, `is already installed in '${target}'`);
    const replacement = await replace(request, target, key, journal);
    keepLock = true;
    return replacement;
  } catch (err) {
    throw toPluginError(err, 'PLG_INTERNAL', id, 'could not be installed');
  } finally {
    if (acquired && !keepLock) locked.delete(key);
    await removeQuietly(stageRoot);
  }
}

async function replace(request: CommitRequest, target: string, key: string, journal: InstallJournal): Promise<InstalledPlugin> {
  const { id, dir, stagingDir, sha256 } = request;
  const backupRoot = await mkdtemp(join(stagingDir, `${BACKUP_PREFIX}${processTag()}`));
  const backup = join(backupRoot, id);
  await journal.write({ id, sha256, target, backupRoot, pid: process.pid, startedAt: new Date().toISOString() });
  await rename(target, backup).catch(async (err: unknown) => {
    await journal.clear(id);
    await removeQuietly(backupRoot);
    throw err;
  });
  try {
    await rename(dir, target);
  } catch (err) {
    // The original error is what the caller needs; a failed rollback leaves the backup (and the journal) where they are.
    try {
      await rename(backup, target);
    } catch {
      throw toPluginError(err, 'PLG_INTERNAL', id, `could not be installed and its previous version is left in '${backup}'`);
    }
    await journal.clear(id);
    await removeQuietly(backupRoot);
    throw err;
  }
  return settled(id, target, true, key, journal, {
    restore: async () => {
      const rejected = join(backupRoot, `${id}.rejected`);
      if (await exists(target)) await rename(target, rejected);
      await rename(backup, target);
      await removeQuietly(backupRoot);
    },
    finish: () => rm(backupRoot, { recursive: true, force: true }),
    keep: async (meta) => {
      await keepPreviousVersion(request.pluginsDir, backup, { ...meta, id });
      await removeQuietly(backupRoot);
    },
  });
}

/**
 * The committed install: exactly one of restore() and finish() takes effect; either clears the
 * journal and releases the id. A failure leaves the journal, so the next start settles it.
 */
function settled(
  id: string,
  target: string,
  replaced: boolean,
  key: string,
  journal: InstallJournal,
  work: { restore: () => Promise<void>; finish: () => Promise<void>; keep: (meta: Omit<PreviousVersion, 'id' | 'keptAt'>) => Promise<void> },
): InstalledPlugin {
  let done = false;
  const settle = async (what: string, step: () => Promise<void>) => {
    if (done) return;
    done = true;
    try {
      await step();
      await journal.clear(id);
    } catch (err) {
      throw toPluginError(err, 'PLG_INTERNAL', id, what);
    } finally {
      locked.delete(key);
    }
  };
  return {
    id,
    dir: target,
    replaced,
    restore: () => settle(replaced ? 'could not get its previous version back' : 'could not remove the files of its failed install', work.restore),
    finish: () => settle('could not delete its previous version', work.finish),
    keepPrevious: (meta) => settle('could not keep its previous version', () => work.keep(meta)),
  };
}
