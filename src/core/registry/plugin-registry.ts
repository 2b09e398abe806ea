import type { DiscoveredPlugin, ScanResult } from '../../discovery/plugin-scanner';
import type { PluginRecord } from '../../database/plugin-record.entity';
import { PluginError } from '../../errors/plugin-error';
import type { LoadedBackend } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import { fingerprintFolder, type EntryFields, type FolderFingerprint, type PluginEntry } from './plugin-entry';
import type { PluginState } from './plugin-state';
import type { RollbackView } from '../../contracts/plugin-view';
import { UNINSTALLED, type PluginStore } from './plugin-store';

export interface DiskChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

type Flags = Partial<Pick<PluginRecord, 'enabled' | 'everEnabled'>>;

/**
 * The one owner of plugin state: every plugin the host knows, its stored record (flags, settings,
 * last state) and what this process knows of it (files, loaded code, errors). Every change goes
 * through a method here, which stores what must outlive the process; the rest of the core reads
 * the entries, which are read-only outside this class.
 */
export class PluginRegistry {
  private readonly entries = new Map<string, EntryFields>();

  constructor(
    private readonly store: PluginStore,
    private readonly logger: HostLogger,
  ) {}

  get(id: string): PluginEntry | undefined {
    return this.entries.get(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The entry of `id`, or PLG_NOT_FOUND. */
  require(id: string): PluginEntry {
    const entry = this.entries.get(id);
    if (!entry) {
      throw new PluginError('PLG_NOT_FOUND', `No plugin '${id}' is installed.`, {
        pluginId: id,
        hint: 'List plugins with GET /api/admin/plugins (or `appnest list`); reload after copying new files.',
      });
    }
    return entry;
  }

  /** Every entry, in the order first seen. */
  all(): PluginEntry[] {
    return [...this.entries.values()];
  }

  /** Every entry by id. */
  sorted(): PluginEntry[] {
    return this.all().sort((a, b) => a.id.localeCompare(b.id));
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Brings the records and entries in line with a scan of the folders: new plugins get a disabled
   * record, changed files a new fingerprint (the reconciler reloads them), vanished ones become
   * `missing` with their record kept; uninstalled ones stay unlisted until their files come back (a
   * reinstall, which finds their settings). `added` lists plugins already installed by the caller;
   * `blocking` hashes the folders with the event loop's own reads (see fingerprintFolder).
   */
  async syncWithScan(scan: ScanResult, added: string[] = [], { blocking = false } = {}): Promise<DiskChanges> {
    for (const { dir, error } of scan.rejected) this.logger.warn(`${error.code}: ${error.message} (${dir})`);
    const changed: string[] = [];
    const seen = new Set<string>();
    const { plugins, held } = this.holdRunning(scan.plugins);
    // The database's round trips overlap the reading of the folders.
    const [records, fingerprints] = await Promise.all([
      this.store.ensureAll(plugins.map((d) => ({ id: d.id, version: d.version }))),
      fingerprintsOf(
        plugins.filter((d) => !held.has(d.id)),
        blocking,
      ),
    ]);
    for (const discovered of plugins) {
      seen.add(discovered.id);
      const record = records.get(discovered.id)!;
      if (record.version !== discovered.version) {
        await this.store.update(discovered.id, { version: discovered.version });
        record.version = discovered.version;
      }
      const existing = this.entries.get(discovered.id);
      const heldError = held.get(discovered.id);
      if (heldError) {
        this.entries.set(discovered.id, { ...existing!, record, reloadError: heldError });
        changed.push(discovered.id);
        continue;
      }
      const { fingerprint, files: fileDigests } = fingerprints.get(discovered.id)!;
      if (!existing) added.push(discovered.id);
      else if ((existing.fingerprint !== fingerprint || !existing.discovered) && !added.includes(discovered.id)) changed.push(discovered.id);
      // A plugin.json fixed again clears the error it left; a reload clears any other.
      const reloadError = existing?.reloadError?.code === 'PLG_INVALID_DESCRIPTOR' ? undefined : existing?.reloadError;
      this.entries.set(discovered.id, { ...existing, id: discovered.id, discovered, record, fingerprint, fileDigests, reloadError, state: existing?.state ?? 'installed' });
    }
    const removed: string[] = [];
    for (const record of records.values()) {
      if (seen.has(record.id)) continue;
      if (record.state === UNINSTALLED) {
        if (this.entries.delete(record.id)) removed.push(record.id);
        continue;
      }
      if (this.entries.get(record.id)?.discovered) removed.push(record.id);
      this.entries.set(record.id, { id: record.id, record, state: 'missing' });
    }
    return { added, removed, changed };
  }

  /**
   * An active plugin whose plugin.json has become invalid keeps running on its last valid reading,
   * as it does after a change that does not compile: the scan's reading is swapped for the running
   * one (found by folder, since an unreadable descriptor gives no id) and the error is held, to show
   * as the plugin's error while the previous version keeps serving.
   */
  private holdRunning(scanned: DiscoveredPlugin[]): { plugins: DiscoveredPlugin[]; held: Map<string, PluginError> } {
    const held = new Map<string, PluginError>();
    const plugins = scanned.map((discovered) => {
      if (discovered.error?.code !== 'PLG_INVALID_DESCRIPTOR') return discovered;
      const running = [...this.entries.values()].find((r) => r.state === 'active' && r.discovered?.dir === discovered.dir && !r.discovered.error);
      if (!running) return discovered;
      held.set(running.id, discovered.error);
      return running.discovered!;
    });
    return { plugins, held };
  }

  /** Reads every record again (another instance changed flags or settings); returns the ids whose settings changed. */
  async reloadRecords(): Promise<string[]> {
    const records = new Map((await this.store.all()).map((r) => [r.id, r]));
    const settingsChanged: string[] = [];
    for (const [id, entry] of this.entries) {
      const record = records.get(id);
      if (!record) {
        if (!entry.discovered) this.entries.delete(id);
        continue;
      }
      if (JSON.stringify(record.settings) !== JSON.stringify(entry.record.settings)) settingsChanged.push(id);
      entry.record = record;
    }
    return settingsChanged;
  }

  /** The operator's flags: stored, then seen by the next reconcile. */
  async setFlags(id: string, flags: Flags): Promise<void> {
    const entry = this.writable(id);
    await this.store.update(id, flags);
    Object.assign(entry.record, flags);
  }

  /** Validated settings, stored. */
  async setSettings(id: string, settings: Record<string, unknown>): Promise<void> {
    const entry = this.writable(id);
    await this.store.update(id, { settings });
    entry.record.settings = settings;
  }

  /** The plugin's state and error; stored when either changed. Returns whether they changed. */
  async settle(id: string, state: PluginState, error: PluginError | undefined): Promise<boolean> {
    const entry = this.writable(id);
    const changed = entry.state !== state || entry.error?.message !== error?.message;
    entry.state = state;
    entry.error = error;
    const stored = error ? { code: error.code, message: error.message } : null;
    if (entry.record.state !== state || (entry.record.error?.message ?? null) !== (stored?.message ?? null)) {
      await this.store.setState(id, state, stored);
      entry.record.state = state;
      entry.record.error = stored;
    }
    return changed;
  }

  /** The plugin's code was imported from its current files. */
  loaded(id: string, backend: LoadedBackend): void {
    const entry = this.writable(id);
    entry.backend = backend;
    entry.loadedFingerprint = entry.fingerprint;
  }

  /** Its migrations were applied from its current files (`false`: reverted, check them again). */
  migrated(id: string, applied = true): void {
    const entry = this.writable(id);
    entry.migratedFingerprint = applied ? entry.fingerprint : undefined;
  }

  /** Why its latest files could not replace the running version (`undefined` once they did). */
  setReloadError(id: string, error: PluginError | undefined): void {
    this.writable(id).reloadError = error;
  }

  /** Why it failed to start from its current files; `undefined` forgets it (an enable tries again). */
  setStartFailure(id: string, error: PluginError | undefined): void {
    const entry = this.entries.get(id);
    if (entry) entry.startFailure = error && { fingerprint: entry.fingerprint, error };
  }

  /** Its last rollback, stored and shown with it on every instance (`undefined`: an upgrade since). */
  async setRollback(id: string, rollback: RollbackView | undefined): Promise<void> {
    const entry = this.writable(id);
    await this.store.update(id, { lastRollback: rollback ?? null });
    entry.record.lastRollback = rollback ?? null;
  }

  /**
   * Uninstalled: unlisted from now on. With `purge` its record (settings) is deleted; without, it
   * is kept, marked uninstalled, for a reinstall.
   */
  async uninstalled(id: string, purge: boolean): Promise<void> {
    const entry = this.writable(id);
    if (purge) await this.store.remove(id);
    else {
      await this.store.setState(id, UNINSTALLED, null);
      entry.record.state = UNINSTALLED;
    }
    this.entries.delete(id);
  }

  /** Drops what a failed install of a new id left (it was never installed, so nothing to keep). */
  async forgetFailedInstall(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.discovered) return;
    this.entries.delete(id);
    await this.store.remove(id);
  }

  /** A new id whose install was rolled back at start leaves no record, unless it holds something of an earlier install. */
  async forgetUnusedRecord(id: string): Promise<void> {
    const record = (await this.store.all()).find((r) => r.id === id);
    if (record && !record.everEnabled && Object.keys(record.settings ?? {}).length === 0) await this.store.remove(id);
  }

  private writable(id: string): EntryFields {
    this.require(id);
    return this.entries.get(id)!;
  }
}

/** The fingerprints of several plugin folders: a few read at a time (their reads overlap), or one after the other when `blocking`. */
async function fingerprintsOf(plugins: DiscoveredPlugin[], blocking: boolean): Promise<Map<string, FolderFingerprint>> {
  const result = new Map<string, FolderFingerprint>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plugins.length) {
      const plugin = plugins[next++];
      result.set(plugin.id, await fingerprintFolder(plugin.dir, { blocking }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(blocking ? 1 : 8, plugins.length) }, worker));
  return result;
}
