import type { DiscoveredPlugin, ScanResult } from '../../discovery/plugin-scanner';
import type { PluginError } from '../../errors/plugin-error';
import type { HostLogger } from '../../logging/host-logger';
import { fingerprintFolder, type PluginRuntime } from './plugin-entry';
import { UNINSTALLED, type PluginStore } from './plugin-store';

export interface DiskChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/**
 * Brings the plugin records and runtimes in line with a scan: new plugins get a disabled record,
 * changed files a new fingerprint (the activator reloads them), vanished ones become `missing`
 * with their record kept; uninstalled ones stay unlisted until their files come back (a reinstall,
 * which finds their settings). `added` lists plugins already installed by the caller in this pass.
 */
export async function syncRuntimes(
  scan: ScanResult,
  ctx: { runtimes: Map<string, PluginRuntime>; store: PluginStore; logger: HostLogger },
  added: string[] = [],
): Promise<DiskChanges> {
  const { runtimes, store, logger } = ctx;
  for (const { dir, error } of scan.rejected) logger.warn(`${error.code}: ${error.message} (${dir})`);
  const changed: string[] = [];
  const seen = new Set<string>();
  const { plugins, held } = holdRunning(scan.plugins, runtimes);
  const records = await store.ensureAll(plugins.map((d) => ({ id: d.id, version: d.version })));
  for (const discovered of plugins) {
    seen.add(discovered.id);
    const record = records.get(discovered.id)!;
    if (record.version !== discovered.version) {
      await store.update(discovered.id, { version: discovered.version });
      record.version = discovered.version;
    }
    const existing = runtimes.get(discovered.id);
    const heldError = held.get(discovered.id);
    if (heldError) {
      runtimes.set(discovered.id, { ...existing!, record, reloadError: heldError });
      changed.push(discovered.id);
      continue;
    }
    const fingerprint = await fingerprintFolder(discovered.dir);
    if (!existing) added.push(discovered.id);
    else if ((existing.fingerprint !== fingerprint || !existing.discovered) && !added.includes(discovered.id)) changed.push(discovered.id);
    // A plugin.json fixed again clears the error it left; a reload clears any other.
    const reloadError = existing?.reloadError?.code === 'PLG_INVALID_DESCRIPTOR' ? undefined : existing?.reloadError;
    runtimes.set(discovered.id, { ...existing, id: discovered.id, discovered, record, fingerprint, reloadError, state: existing?.state ?? 'installed' });
  }
  const removed: string[] = [];
  for (const record of records.values()) {
    if (seen.has(record.id)) continue;
    if (record.state === UNINSTALLED) {
      if (runtimes.delete(record.id)) removed.push(record.id);
      continue;
    }
    if (runtimes.get(record.id)?.discovered) removed.push(record.id);
    runtimes.set(record.id, { id: record.id, record, state: 'missing' });
  }
  return { added, removed, changed };
}

/**
 * An active plugin whose plugin.json has become invalid keeps running on its last valid reading,
 * as it does after a change that does not compile: the scan's reading is swapped for the running
 * one (found by folder, since an unreadable descriptor gives no id) and the error is held, to show
 * as the plugin's error while the previous version keeps serving.
 */
function holdRunning(scanned: DiscoveredPlugin[], runtimes: Map<string, PluginRuntime>): { plugins: DiscoveredPlugin[]; held: Map<string, PluginError> } {
  const held = new Map<string, PluginError>();
  const plugins = scanned.map((discovered) => {
    if (discovered.error?.code !== 'PLG_INVALID_DESCRIPTOR') return discovered;
    const running = [...runtimes.values()].find((r) => r.state === 'active' && r.discovered?.dir === discovered.dir && !r.discovered.error);
    if (!running) return discovered;
    held.set(running.id, discovered.error);
    return running.discovered!;
  });
  return { plugins, held };
}
