import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One install in progress, written before the plugins folder changes and removed once it is settled. */
export interface JournalEntry {
  id: string;
  /** SHA-256 of the archive being installed: the database storing it is the commit point. */
  sha256: string;
  /** The plugin's folder in the plugins folder. */
  target: string;
  /** Where the previous version is moved aside (`<backupRoot>/<id>`), or null for a new id. */
  backupRoot: string | null;
  pid: number;
  startedAt: string;
}

/** Names of the staging folder entries a process makes; its pid tells a live install from a leftover. */
export const STAGE_PREFIX = 'stage-';
export const BACKUP_PREFIX = 'backup-';
export const UPLOAD_PREFIX = 'upload-';
const JOURNAL = /^journal-(.+)\.json$/;

export function processTag(): string {
  return `${process.pid}-`;
}

/**
 * The install journal: one small file per plugin id in the staging folder, written (and synced)
 * before a commit touches the plugins folder. After a crash, recovery reads it to put the previous
 * version back, or to finish an install the database had already recorded.
 */
export class InstallJournal {
  constructor(private readonly stagingDir: string) {}

  private fileOf(id: string): string {
    return join(this.stagingDir, `journal-${id}.json`);
  }

  async write(entry: JournalEntry): Promise<void> {
    const partial = `${this.fileOf(entry.id)}.${process.pid}.tmp`;
    const handle = await open(partial, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(entry));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, this.fileOf(entry.id));
  }

  async clear(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
  }

  list(): JournalEntry[] {
    if (!existsSync(this.stagingDir)) return [];
    const entries: JournalEntry[] = [];
    for (const name of readdirSync(this.stagingDir)) {
      if (!JOURNAL.test(name)) continue;
      try {
        entries.push(JSON.parse(readFileSync(join(this.stagingDir, name), 'utf8')) as JournalEntry);
      } catch {
        // A journal torn mid-write was written before anything moved: nothing to undo.
        entries.push({ id: JOURNAL.exec(name)![1], sha256: '', target: '', backupRoot: null, pid: 0, startedAt: '' });
      }
    }
    return entries;
  }
}

/** true when a process with this pid runs (ours included). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
