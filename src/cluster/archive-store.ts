import type { StoredArchives } from '../core/host-adapters';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';

const CHUNK_BYTES = 4 * 1024 * 1024;

export interface StoredArchive {
  pluginId: string;
  sha256: string;
  fileName: string;
  /** 0 when only the identity is stored (embedded database). */
  size: number;
}

/**
 * Uploaded plugin archives kept in the database, so that every instance can install the same
 * files. Which archive a plugins folder holds is remembered in a file inside that folder, so
 * instances sharing one folder agree on it.
 */
export class ArchiveStore implements StoredArchives {
  private readonly localFile: string;

  /**
   * `keepBytes` false (the embedded database, which one process alone can open): only the sha256
   * and name are stored, as the install's commit point; there is no other instance to serve, and
   * writing a big bytea into PGlite would stall the host, whose event loop runs it.
   */
  constructor(
    private readonly dataSource: DataSource,
    pluginsDir: string,
    private readonly keepBytes = true,
  ) {
    this.localFile = join(pluginsDir, '.appnest-archives.json');
  }

  /**
   * Stores the archive (in the caller's transaction when `manager` is given) in slices of
   * CHUNK_BYTES, one statement each, so the host keeps serving while a big one is written. Call
   * setLocal once the transaction is committed.
   */
  async save(pluginId: string, sha256: string, fileName: string, archive: Buffer, manager: Pick<EntityManager, 'query'> = this.dataSource): Promise<void> {
    // The row first: its lock makes a concurrent save of this id (another instance) wait until this one commits.
    await manager.query(
      `INSERT INTO appnest_plugin_archives (plugin_id, sha256, file_name, archive) VALUES ($1, $2, $3, $4)
       ON CONFLICT (plugin_id) DO UPDATE SET sha256 = EXCLUDED.sha256, file_name = EXCLUDED.file_name, archive = EXCLUDED.archive, installed_at = now()`,
      [pluginId, sha256, fileName, Buffer.alloc(0)],
    );
    await manager.query('DELETE FROM appnest_plugin_archive_chunks WHERE plugin_id = $1', [pluginId]);
    if (!this.keepBytes) return;
    for (let seq = 0; seq * CHUNK_BYTES < archive.length; seq++) {
      const data = archive.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES);
      await manager.query('INSERT INTO appnest_plugin_archive_chunks (plugin_id, seq, data) VALUES ($1, $2, $3)', [pluginId, seq, data]);
    }
  }

  /**
   * Before an upgrade stores its archive (in the same transaction): the stored one becomes the
   * previous one, which a rollback makes the stored one again. Nothing is kept when none is stored.
   */
  async keepPrevious(pluginId: string, manager: Pick<EntityManager, 'query'> = this.dataSource): Promise<void> {
    // The stored row's lock first: a concurrent upgrade of this id (another instance) waits until this one commits, then keeps what this one stored.
    await manager.query('SELECT 1 FROM appnest_plugin_archives WHERE plugin_id = $1 FOR UPDATE', [pluginId]);
    await manager.query('DELETE FROM appnest_plugin_archive_previous_chunks WHERE plugin_id = $1', [pluginId]);
    await manager.query('DELETE FROM appnest_plugin_archive_previous WHERE plugin_id = $1', [pluginId]);
    await manager.query(
      `INSERT INTO appnest_plugin_archive_previous (plugin_id, sha256, file_name, archive)
       SELECT plugin_id, sha256, file_name, archive FROM appnest_plugin_archives WHERE plugin_id = $1`,
      [pluginId],
    );
    await manager.query('INSERT INTO appnest_plugin_archive_previous_chunks (plugin_id, seq, data) SELECT plugin_id, seq, data FROM appnest_plugin_archive_chunks WHERE plugin_id = $1', [pluginId]);
  }

  /**
   * A rollback (in the caller's transaction): the previous archive becomes the stored one, and is no
   * longer kept as previous. Returns its sha256; undefined (and the stored one removed) when the
   * previous version was not installed from an archive.
   */
  async restorePrevious(pluginId: string, manager: Pick<EntityManager, 'query'> = this.dataSource): Promise<string | undefined> {
    const [previous] = (await manager.query('SELECT sha256 FROM appnest_plugin_archive_previous WHERE plugin_id = $1', [pluginId])) as { sha256: string }[];
    await manager.query('DELETE FROM appnest_plugin_archive_chunks WHERE plugin_id = $1', [pluginId]);
    await manager.query('DELETE FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    if (!previous) return undefined;
    await manager.query(
      `INSERT INTO appnest_plugin_archives (plugin_id, sha256, file_name, archive)
       SELECT plugin_id, sha256, file_name, archive FROM appnest_plugin_archive_previous WHERE plugin_id = $1`,
      [pluginId],
    );
    await manager.query('INSERT INTO appnest_plugin_archive_chunks (plugin_id, seq, data) SELECT plugin_id, seq, data FROM appnest_plugin_archive_previous_chunks WHERE plugin_id = $1', [pluginId]);
    await manager.query('DELETE FROM appnest_plugin_archive_previous_chunks WHERE plugin_id = $1', [pluginId]);
    await manager.query('DELETE FROM appnest_plugin_archive_previous WHERE plugin_id = $1', [pluginId]);
    return String(previous.sha256).trim();
  }

  /** The sha256 of the archive kept as the previous one (what a rollback goes back to), if any. */
  async previousSha(pluginId: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query('SELECT sha256 FROM appnest_plugin_archive_previous WHERE plugin_id = $1', [pluginId]);
    return row ? String(row.sha256).trim() : undefined;
  }

  async storedSha(pluginId: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query('SELECT sha256 FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    return row ? String(row.sha256).trim() : undefined;
  }

  async remove(pluginId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_plugin_archive_previous_chunks WHERE plugin_id = $1', [pluginId]);
    await this.dataSource.query('DELETE FROM appnest_plugin_archive_previous WHERE plugin_id = $1', [pluginId]);
    await this.dataSource.query('DELETE FROM appnest_plugin_archive_chunks WHERE plugin_id = $1', [pluginId]);
    await this.dataSource.query('DELETE FROM appnest_plugin_archives WHERE plugin_id = $1', [pluginId]);
    this.setLocal(pluginId, undefined);
  }

  async list(): Promise<StoredArchive[]> {
    const rows = await this.dataSource.query(
      `SELECT a.plugin_id, a.sha256, a.file_name,
              octet_length(a.archive) + (SELECT coalesce(sum(octet_length(c.data)), 0) FROM appnest_plugin_archive_chunks c WHERE c.plugin_id = a.plugin_id) AS size
       FROM appnest_plugin_archives a ORDER BY a.plugin_id`,
    );
    return rows.map((r: { plugin_id: string; sha256: string; file_name: string; size: number | string }) => ({
      pluginId: r.plugin_id,
      sha256: r.sha256.trim(),
      fileName: r.file_name,
      size: Number(r.size),
    }));
  }

  /** The stored archive, read slice by slice (an archive stored whole by an older host is read as it is). */
  async bytes(pluginId: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let seq = 0; ; seq++) {
      const [chunk] = await this.dataSource.query('SELECT data FROM appnest_plugin_archive_chunks WHERE plugin_id = $1 AND seq = $2', [pluginId, seq]);
      if (!chunk) break;
      parts.push(chunk.data as Buffer);
    }
    if (parts.length) return Buffer.concat(parts);
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
