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

/** Failed starts in a row before a plugin is quarantined, unless APPNEST_QUARANTINE_AFTER says otherwise. */
export const DEFAULT_QUARANTINE_AFTER = 3;

/** A plugin's failed starts since its last successful one. */
export interface StartFailures {
  count: number;
  reason: string;
  at: string;
}

/**
 * The one place that keeps plugins from being started again after they took the host down, and
 * that carries disables made while no host was up. Files in the data folder, written before the
 * risky step and read before any plugin code loads, so neither the database nor a hung process is
 * needed: `start-attempt-<pid>.json` names the plugins this process is loading or starting,
 * `quarantine.json` the plugins kept disabled, with why.
 */
export class PluginQuarantine {
  private readonly file: string;
  private readonly failuresFile: string;
  /** Plugins of an interrupted shared start: this run starts each alone, so a second crash names the culprit. */
  private readonly suspects = new Set<string>();
  private cached?: Record<string, QuarantineEntry>;
  private cachedFailures?: Record<string, StartFailures>;

  /** `after`: failed starts in a row (thrown, timed out, or the process died in it) that quarantine a plugin. */
  constructor(
    private readonly dataDir: string,
    readonly after = DEFAULT_QUARANTINE_AFTER,
  ) {
    this.file = join(dataDir, 'quarantine.json');
    this.failuresFile = join(dataDir, 'start-failures.json');
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
   * At start, before any plugin runs: the attempts of processes that are gone count as a failed
   * start of their plugin (one plugin; after `after` in a row it is quarantined) or make suspects (a
   * shared start of several). Returns the ids whose start the process died in.
   */
  takeOverInterrupted(): string[] {
    if (!existsSync(this.dataDir)) return [];
    const crashed: string[] = [];
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
        this.startFailed(ids[0], `the host stopped while plugin '${ids[0]}' was loading or starting (attempt at ${at})`);
        crashed.push(ids[0]);
      } else for (const id of ids) this.suspects.add(id);
      rmSync(join(this.dataDir, name), { force: true });
    }
    return crashed;
  }

  /**
   * Counts a failed start of `id` (`why`: what happened, in lower case); at `after` in a row the
   * plugin is quarantined: left disabled at the next start. Returns whether it is quarantined now.
   */
  startFailed(id: string, why: string): boolean {
    const all = this.failures();
    const count = (all[id]?.count ?? 0) + 1;
    all[id] = { count, reason: why, at: new Date().toISOString() };
    this.writeFailures(all);
    if (count < this.after) return false;
    const times = count === 1 ? 'once' : `${count} times in a row`;
    this.add(id, 'crashed', `Plugin '${id}' failed to start ${times} (last: ${why}); it is left disabled so the host can start.`);
    return true;
  }

  /** A successful start: the count of failed ones starts again from zero. */
  startSucceeded(id: string): void {
    const all = this.failures();
    if (!(id in all)) return;
    delete all[id];
    this.writeFailures(all);
  }

  /** The failed starts in a row of every plugin that has some. */
  failures(): Record<string, StartFailures> {
    if (!this.cachedFailures) this.cachedFailures = readJson<Record<string, StartFailures>>(this.failuresFile);
    return this.cachedFailures;
  }

  private writeFailures(all: Record<string, StartFailures>): void {
    this.cachedFailures = all;
    writeDurably(this.failuresFile, JSON.stringify(all, null, 2));
  }

  /**
   * Whether `id` is loaded and started under a record of its own, never with others: a suspect of
   * an interrupted start of several, or a plugin that has failed to start since its last successful
   * start. Then a crash in it names it, and counts towards its quarantine.
   */
  startsAlone(id: string): boolean {
    return this.suspects.has(id) || id in this.failures();
  }

  /** Read once, then kept: this process is the only writer while it runs (`appnest disable` writes only when no host is up). */
  entries(): Record<string, QuarantineEntry> {
    if (!this.cached) this.cached = readJson<Record<string, QuarantineEntry>>(this.file);
    return this.cached;
  }

  add(id: string, kind: QuarantineEntry['kind'], reason: string): void {
    this.write({ ...this.entries(), [id]: { kind, reason, at: new Date().toISOString() } });
  }

  /** Out of quarantine, its count of failed starts back to zero (an operator's enable). */
  remove(id: string): void {
    this.startSucceeded(id);
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

function readJson<T extends object>(file: string): T {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : ({} as T);
  } catch {
    return {} as T;
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
