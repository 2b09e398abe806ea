import type { ScanResult } from '../discovery/plugin-scanner';
import type { HostLogger } from '../logging/host-logger';
import { fingerprintFolder, type PluginRuntime } from './plugin-runtime';
import type { PluginStore } from './plugin-store';

export interface DiskChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/**
 * Brings the plugin records and runtimes in line with a scan: new plugins get a disabled record,
 * changed files a new fingerprint (the activator reloads them), vanished ones become `missing`
 * with their record kept. `added` lists plugins already installed by the caller in this pass.
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
  const records = await store.ensureAll(scan.plugins.map((d) => ({ id: d.id, version: d.version })));
  for (const discovered of scan.plugins) {
    seen.add(discovered.id);
    const record = records.get(discovered.id)!;
    if (record.version !== discovered.version) {
      await store.update(discovered.id, { version: discovered.version });
      record.version = discovered.version;
    }
    const fingerprint = await fingerprintFolder(discovered.dir);
    const existing = runtimes.get(discovered.id);
    if (!existing) added.push(discovered.id);
    else if ((existing.fingerprint !== fingerprint || !existing.discovered) && !added.includes(discovered.id)) changed.push(discovered.id);
    runtimes.set(discovered.id, { ...existing, id: discovered.id, discovered, record, fingerprint, state: existing?.state ?? 'installed' });
  }
  const removed: string[] = [];
  for (const record of records.values()) {
    if (seen.has(record.id)) continue;
    if (runtimes.get(record.id)?.discovered) removed.push(record.id);
    runtimes.set(record.id, { id: record.id, record, state: 'missing' });
  }
  return { added, removed, changed };
}
