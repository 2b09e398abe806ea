import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';

export interface StoredArchive {
  pluginId: string;
  sha256: string;
  fileName: string;
}

/**
 * Uploaded plugin archives kept in the database, so that every instance can install the same
 * files. Which archive a plugins folder holds is remembered in a file inside that folder, so
 * instances sharing one folder agree on it.
 */
export class ArchiveStore {
  private readonly localFile: string;

  constructor(
    private readonly dataSource: DataSource,
    pluginsDir: string,
  ) {
    this.localFile = join(pluginsDir, '.appnest-archives.json');
  }

  /** Stores the archive (in the caller's transaction when `manager` is given); call setLocal once it is committed. */
  async save(pluginId: string, sha256: string, fileName: string, archive: Buffer, manager: Pick<EntityManager, 'query'> = this.dataSource): Promise<void> {
    await manager.query(
      `INSERT INTO appnest_plugin_archives (plugin_id, sha256, file_name, archive) VALUES ($1, $2, $3, $4)
       ON CONFLICT (plugin_id) DO UPDATE SET sha256 = EXCLUDED.sha256, file_name = EXCLUDED.file_name, archive = EXCLUDED.archive, installed_at = now()`,
      [pluginId, sha256, fileName, archive],
    );
  }

  async storedSha(pluginId: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query('SELECT sha256 FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    return row ? String(row.sha256).trim() : undefined;
  }

  async remove(pluginId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    this.setLocal(pluginId, undefined);
  }

  async list(): Promise<StoredArchive[]> {
    const rows = await this.dataSource.query('SELECT plugin_id, sha256, file_name FROM appnest_plugin_archives ORDER BY plugin_id');
    return rows.map((r: { plugin_id: string; sha256: string; file_name: string }) => ({ pluginId: r.plugin_id, sha256: r.sha256.trim(), fileName: r.file_name }));
  }

  async bytes(pluginId: string): Promise<Buffer> {
    const [row] = await this.dataSource.query('SELECT archive FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    return row.archive as Buffer;
  }

  /** The archive this plugins folder holds for `pluginId`, if it was installed from one. */
  local(pluginId: string): string | undefined {
    return this.readLocal()[pluginId];
  }

  setLocal(pluginId: string, sha256: string | undefined): void {
    const all = this.readLocal();
    if (sha256) all[pluginId] = sha256;
    else delete all[pluginId];
    const partial = `${this.localFile}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(all, null, 2));
    renameSync(partial, this.localFile);
  }

  private readLocal(): Record<string, string> {
    if (!existsSync(this.localFile)) return {};
    try {
      return JSON.parse(readFileSync(this.localFile, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
}
