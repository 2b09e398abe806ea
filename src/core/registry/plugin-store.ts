import type { DataSource, Repository } from 'typeorm';
import { PluginRecord, type StoredError } from '../../database/plugin-record.entity';

/**
 * The stored state of a plugin uninstalled without purge: its record (settings, flags) stays for a
 * reinstall, but it is no longer listed, and its absent files do not make it `missing`.
 */
export const UNINSTALLED = 'uninstalled';

/** The plugin records table: flags, settings and the last known state of every plugin. */
export class PluginStore {
  private readonly repo: Repository<PluginRecord>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(PluginRecord);
  }

  all(): Promise<PluginRecord[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  /** Creates the records of newly seen plugins, disabled, in one statement; returns every record by id. */
  async ensureAll(plugins: { id: string; version: string }[]): Promise<Map<string, PluginRecord>> {
    const records = new Map((await this.all()).map((r) => [r.id, r]));
    const missing = plugins.filter(({ id }) => !records.has(id));
    if (!missing.length) return records;
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(missing.map(({ id, version }) => ({ id, version, enabled: false, everEnabled: false, settings: {}, state: 'installed', error: null })))
      .orIgnore()
      .execute();
    return new Map((await this.all()).map((r) => [r.id, r]));
  }

  async update(id: string, patch: Partial<Pick<PluginRecord, 'version' | 'enabled' | 'everEnabled' | 'settings' | 'state' | 'error' | 'lastRollback'>>): Promise<void> {
    await this.repo.update({ id }, patch as Parameters<Repository<PluginRecord>['update']>[1]);
  }

  async setState(id: string, state: string, error: StoredError | null): Promise<void> {
    await this.repo.update({ id }, { state, error });
  }

  async remove(id: string): Promise<void> {
    await this.repo.delete({ id });
  }
}
