import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PluginError } from '../../errors/plugin-error';
import { processAlive } from '../../archive/install-journal';

export interface QuarantineEntry {
  /** crashed: the host died while the plugin was starting; offline: `appnest disable` with no host up. */
  kind: 'crashed' | 'offline';
  reason: string;
  at: string;
}

const ATTEMPT = /^start-attempt-(\d+)\.json$/;

/**
 * The one place that keeps plugins from being started again after they took the host down, and
 * that carries disables made while no host was up. Files in the data folder, written before the
 * risky step and read before any plugin code loads, so neither the database nor a hung process is
 * needed: `start-attempt-<pid>.json` names the plugins this process is loading or starting,
 * `quarantine.json` the plugins kept disabled, with why.
 */
export class PluginQuarantine {
  private readonly file: string;
  /** Plugins of an interrupted shared start: this run starts each alone, so a second crash names the culprit. */
  private readonly suspects = new Set<string>();
  private cached?: Record<string, QuarantineEntry>;

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'quarantine.json');
  }

  private attemptFile(pid = process.pid): string {
    return join(this.dataDir, `start-attempt-${pid}.json`);
  }

  /** Records, durably, that `ids` are about to run code of theirs (load, migrate, start). */
  beginStart(ids: string[]): void {
    writeDurably(this.attemptFile(), JSON.stringify({ ids, at: new Date().toISOString() }));
  }

  endStart(): void {
    rmSync(this.attemptFile(), { force: true });
  }

  /** Runs `work` as a start attempt of `ids`. */
  async attempt<T>(ids: string[], work: () => Promise<T>): Promise<T> {
    this.beginStart(ids);
    try {
      return await work();
    } finally {
      this.endStart();
    }
  }

  /**
   * At start, before any plugin runs: the attempts of processes that are gone become quarantine
   * entries (one plugin) or suspects (a shared start of several). Returns the ids quarantined now.
   */
  takeOverInterrupted(): string[] {
    if (!existsSync(this.dataDir)) return [];
    const quarantined: string[] = [];
    for (const name of readdirSync(this.dataDir)) {
      const pid = Number(ATTEMPT.exec(name)?.[1] ?? NaN);
      if (Number.isNaN(pid) || (pid !== process.pid && processAlive(pid))) continue;
      let ids: string[] = [];
      let at = '';
      try {
        ({ ids, at } = JSON.parse(readFileSync(join(this.dataDir, name), 'utf8')) as { ids: string[]; at: string });
      } catch {
        // Torn before it was complete: the start it announced had not begun.
      }
      if (ids.length === 1) {
        this.add(ids[0], 'crashed', `The host stopped while plugin '${ids[0]}' was loading or starting (attempt at ${at}); it is left disabled so the host can start.`);
        quarantined.push(ids[0]);
      } else for (const id of ids) this.suspects.add(id);
      rmSync(join(this.dataDir, name), { force: true });
    }
    return quarantined;
  }

  isSuspect(id: string): boolean {
    return this.suspects.has(id);
  }

  /** Read once, then kept: this process is the only writer while it runs (`appnest disable` writes only when no host is up). */
  entries(): Record<string, QuarantineEntry> {
    if (this.cached) return this.cached;
    try {
      this.cached = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, QuarantineEntry>) : {};
    } catch {
      this.cached = {};
    }
    return this.cached;
  }

  add(id: string, kind: QuarantineEntry['kind'], reason: string): void {
    this.write({ ...this.entries(), [id]: { kind, reason, at: new Date().toISOString() } });
  }

  remove(id: string): void {
    const all = this.entries();
    if (!(id in all)) return;
    delete all[id];
    this.write(all);
  }

  /** Why `id` is kept disabled, as the error the admin API shows; undefined when it is not. */
  errorOf(id: string): PluginError | undefined {
    const entry = this.entries()[id];
    if (!entry) return undefined;
    return new PluginError('PLG_QUARANTINED', entry.reason, {
      pluginId: id,
      hint: `Fix the plugin (or install a fixed version), then enable it again: appnest enable ${id}.`,
    });
  }

  private write(all: Record<string, QuarantineEntry>): void {
    this.cached = all;
    writeDurably(this.file, JSON.stringify(all, null, 2));
  }
}

/** Writes a file by rename after fsync, mode 0600: whole or absent after a crash. */
function writeDurably(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  const fd = openSync(partial, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}
