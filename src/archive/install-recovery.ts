import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_PREFIX, InstallJournal, processAlive, STAGE_PREFIX, UPLOAD_PREFIX, type JournalEntry } from './install-journal';

export interface RecoveredInstall {
  id: string;
  sha256: string;
  /** back: the previous version (or no plugin, for a new id) is in place again; forward: the new version stays. */
  direction: 'back' | 'forward';
  replaced: boolean;
}

export interface RecoveryOptions {
  stagingDir: string;
  /** The archive the database holds for a plugin id: an install is complete once it names the new archive. */
  storedSha: (id: string) => Promise<string | undefined>;
}

/**
 * Settles the installs a killed process left half done, then removes staging leftovers. Call it at
 * start, before the plugins folder is scanned. Installs of another live process are left alone.
 */
export async function recoverInstalls({ stagingDir, storedSha }: RecoveryOptions): Promise<RecoveredInstall[]> {
  const journal = new InstallJournal(stagingDir);
  const recovered: RecoveredInstall[] = [];
  for (const entry of journal.list()) {
    if (entry.pid !== process.pid && processAlive(entry.pid)) continue;
    if (entry.target) recovered.push(await settle(entry, entry.sha256 !== '' && (await storedSha(entry.id)) === entry.sha256));
    await journal.clear(entry.id);
  }
  await removeLeftovers(stagingDir);
  return recovered;
}

async function settle(entry: JournalEntry, completed: boolean): Promise<RecoveredInstall> {
  const replaced = entry.backupRoot !== null;
  const result = { id: entry.id, sha256: entry.sha256, replaced };
  if (completed) {
    if (entry.backupRoot) await rm(entry.backupRoot, { recursive: true, force: true });
    return { ...result, direction: 'forward' };
  }
  if (entry.backupRoot) {
    const backup = join(entry.backupRoot, entry.id);
    // No backup folder: the crash came before the previous version was moved, so it is still in place.
    if (existsSync(backup)) {
      await rm(entry.target, { recursive: true, force: true });
      await rename(backup, entry.target);
    }
    await rm(entry.backupRoot, { recursive: true, force: true });
  } else {
    await rm(entry.target, { recursive: true, force: true });
  }
  return { ...result, direction: 'back' };
}

/** Stage and backup folders and uploads of processes that are gone (or of this one, which has none in flight at start). */
async function removeLeftovers(stagingDir: string): Promise<void> {
  if (!existsSync(stagingDir)) return;
  for (const name of readdirSync(stagingDir)) {
    if (/^journal-.+\.json$/.test(name)) continue;
    const match = new RegExp(`^(?:${STAGE_PREFIX}|${BACKUP_PREFIX}|${UPLOAD_PREFIX})(\\d+)-`).exec(name) ?? /\.(\d+)\.tmp$/.exec(name);
    const pid = match ? Number(match[1]) : 0;
    if (pid === process.pid || !processAlive(pid)) await rm(join(stagingDir, name), { recursive: true, force: true });
  }
}
