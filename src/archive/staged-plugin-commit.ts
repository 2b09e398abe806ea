import { lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PluginError, toPluginError } from '../errors/plugin-error';
import type { InstalledPlugin } from './plugin-archive-installer';

// Ids being committed (or replaced and not yet finished or restored) in this process, by target folder.
const locked = new Set<string>();

export interface CommitRequest {
  id: string;
  dir: string;
  stageRoot: string;
  pluginsDir: string;
  stagingDir: string;
  overwrite: boolean;
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
  const { id, dir, stageRoot, pluginsDir, overwrite } = request;
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
      await rename(dir, target).catch((err: unknown) => {
        throw isTargetTaken(err) ? alreadyInstalled(id, 'was installed by another process meanwhile') : err;
      });
      return { id, dir: target, replaced: false, restore: async () => {}, finish: async () => {} };
    }
    if (!overwrite) throw alreadyInstalled(id, `is already installed in '${target}'`);
    const replacement = await replace(request, target, key);
    keepLock = true;
    return replacement;
  } catch (err) {
    throw toPluginError(err, 'PLG_INTERNAL', id, 'could not be installed');
  } finally {
    if (acquired && !keepLock) locked.delete(key);
    await removeQuietly(stageRoot);
  }
}

async function replace(request: CommitRequest, target: string, key: string): Promise<InstalledPlugin> {
  const { id, dir, stagingDir } = request;
  const backupRoot = await mkdtemp(join(stagingDir, 'backup-'));
  const backup = join(backupRoot, id);
  await rename(target, backup).catch(async (err: unknown) => {
    await removeQuietly(backupRoot);
    throw err;
  });
  try {
    await rename(dir, target);
  } catch (err) {
    // The original error is what the caller needs; a failed rollback leaves the backup where it is.
    try {
      await rename(backup, target);
    } catch {
      throw toPluginError(err, 'PLG_INTERNAL', id, `could not be installed and its previous version is left in '${backup}'`);
    }
    await removeQuietly(backupRoot);
    throw err;
  }
  let settled = false;
  const settle = async (what: string, work: () => Promise<void>) => {
    if (settled) return;
    settled = true;
    try {
      await work();
    } catch (err) {
      throw toPluginError(err, 'PLG_INTERNAL', id, what);
    } finally {
      locked.delete(key);
    }
  };
  return {
    id,
    dir: target,
    replaced: true,
    restore: () =>
      settle(`could not get its previous version back from '${backup}'`, async () => {
        const rejected = join(backupRoot, `${id}.rejected`);
        if (await exists(target)) await rename(target, rejected);
        await rename(backup, target);
        await removeQuietly(backupRoot);
      }),
    finish: () => settle(`could not delete its previous version in '${backup}'`, () => rm(backupRoot, { recursive: true, force: true })),
  };
}
