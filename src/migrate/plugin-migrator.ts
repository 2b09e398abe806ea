import type { QueryRunner } from 'typeorm';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import type { HostDatabase } from '../database/host-database';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';
import { instantiateMigration, listMigrationFiles, type PluginMigrationFile } from '../loader/plugin-loader';
import type { PluginCodeLoader } from '../loader/plugin-code-loader';
import { hasEmptyUp } from './empty-migration';

export type { MigrationStatus } from '../contracts/plugin-view';
import type { MigrationStatus } from '../contracts/plugin-view';

interface LedgerRow {
  name: string;
  checksum: string;
  applied_at: Date;
}

export interface MigratorOptions {
  /** `strict`: a changed applied migration stops the plugin's start instead of a warning. */
  checksums?: 'warn' | 'strict';
  /**
   * Under `appnest dev`: a pending migration whose up() is empty (a skeleton just created) is
   * not applied, nor any after it, until it is filled in; applied, it could not be re-run.
   */
  holdEmpty?: boolean;
}

/**
 * Applies and reverts one plugin's migrations: in name order, each in its own transaction with
 * its ledger row, under the cluster-wide migration lock. A failure rolls back that migration only.
 */
export class PluginMigrator {
  constructor(
    private readonly db: HostDatabase,
    private readonly logger: HostLogger,
    /** Bound on waiting for a table lock inside a migration. */
    private readonly lockTimeoutMs: number,
    /** How migration checks behave: see MigratorOptions. */
    private readonly options: MigratorOptions = {},
  ) {}

  /** An applied migration whose file changed is never re-run: a warning, or PLG_MIGRATION_CHECKSUM when strict. */
  private checkChecksums(pluginId: string, files: PluginMigrationFile[], applied: Map<string, string>): void {
    for (const file of files) {
      const checksum = applied.get(file.name);
      if (checksum === undefined || checksum === file.checksum) continue;
      const message = `Plugin '${pluginId}': applied migration '${file.name}' changed since it was applied; it is not re-run.`;
      if (this.options.checksums === 'strict') {
        throw new PluginError('PLG_MIGRATION_CHECKSUM', message, {
          pluginId,
          hint: 'Restore the migration as it was applied and put the change in a new migration (or run with APPNEST_MIGRATION_CHECKSUM=warn).',
          details: { migration: file.name },
        });
      }
      this.logger.warn(message);
    }
  }

  async status(plugin: DiscoveredPlugin): Promise<MigrationStatus> {
    const files = listMigrationFiles(plugin);
    const rows = await this.ledger(this.db.dataSource.createQueryRunner(), plugin.id, true);
    return summarise(files, rows);
  }

  /** Every applied migration's checksum by name, by plugin: one query, to skip the lock for plugins with nothing pending. */
  async appliedByPlugin(): Promise<Map<string, Map<string, string>>> {
    const rows: { plugin_id: string; name: string; checksum: string }[] = await this.db.dataSource.query('SELECT plugin_id, name, checksum FROM appnest_plugin_migrations');
    const out = new Map<string, Map<string, string>>();
    for (const row of rows) out.set(row.plugin_id, (out.get(row.plugin_id) ?? new Map<string, string>()).set(row.name, row.checksum));
    return out;
  }

  /**
   * Applies pending migrations; returns the names applied. With `applied` (from appliedByPlugin()), a
   * plugin with nothing pending returns at once; the lock is taken only when there is work.
   */
  async migrate(plugin: DiscoveredPlugin, code: PluginCodeLoader, applied?: Map<string, string>): Promise<string[]> {
    const files = listMigrationFiles(plugin);
    if (files.length === 0) return [];
    if (applied && files.every((f) => applied.has(f.name))) {
      this.checkChecksums(plugin.id, files, applied);
      return [];
    }
    return this.db.withMigrationLock(async (runner) => {
      const rows = await this.ledger(runner, plugin.id);
      const applied = new Map(rows.map((r) => [r.name, r]));
      this.checkChecksums(plugin.id, files, new Map(rows.map((r) => [r.name, r.checksum])));
      const done: string[] = [];
      for (const file of files.filter((f) => !applied.has(f.name))) {
        if (this.options.holdEmpty && hasEmptyUp(instantiateMigration(code, file))) {
          this.logger.warn(`Plugin '${plugin.id}': migration '${file.name}' has an empty up(); it is applied once it does something (save it filled in).`);
          break;
        }
        await this.runOne(runner, plugin.id, file, code, 'up');
        done.push(file.name);
      }
      if (done.length) this.logger.info(`Plugin '${plugin.id}': applied ${done.length} migration(s): ${done.join(', ')}`);
      return done;
    });
  }

  /** Reverts applied migrations newest first, down to (not including) `to`, or all of them. */
  async revert(plugin: DiscoveredPlugin, code: PluginCodeLoader, to?: string): Promise<string[]> {
    const files = listMigrationFiles(plugin);
    if (to !== undefined && !files.some((f) => f.name === to)) {
      throw new PluginError('PLG_MIGRATION_NOT_FOUND', `Plugin '${plugin.id}' has no migration named '${to}'.`, {
        pluginId: plugin.id,
        hint: `Use one of: ${files.map((f) => f.name).join(', ') || '(none)'}.`,
      });
    }
    return this.db.withMigrationLock(async (runner) => {
      const applied = new Set((await this.ledger(runner, plugin.id)).map((r) => r.name));
      const reverted: string[] = [];
      for (const file of [...files].reverse()) {
        if (to !== undefined && file.name <= to) break;
        if (!applied.has(file.name)) continue;
        await this.runOne(runner, plugin.id, file, code, 'down');
        reverted.push(file.name);
      }
      const orphans = [...applied].filter((name) => !files.some((f) => f.name === name));
      if (to === undefined && orphans.length) {
        this.logger.warn(`Plugin '${plugin.id}': ledger rows without a file were forgotten: ${orphans.join(', ')}`);
        await runner.query('DELETE FROM appnest_plugin_migrations WHERE plugin_id = $1', [plugin.id]);
      }
      return reverted;
    });
  }

  /**
   * Reverts the newest applied migration and applies it again, as its file reads now (for
   * development: edit a migration, redo it). Returns its name.
   */
  async redo(plugin: DiscoveredPlugin, code: PluginCodeLoader): Promise<string> {
    const files = listMigrationFiles(plugin);
    return this.db.withMigrationLock(async (runner) => {
      const applied = new Set((await this.ledger(runner, plugin.id)).map((r) => r.name));
      const last = [...files].reverse().find((f) => applied.has(f.name));
      if (!last) {
        throw new PluginError('PLG_MIGRATION_NOT_FOUND', `Plugin '${plugin.id}' has no applied migration to redo.`, {
          pluginId: plugin.id,
          hint: `Apply its migrations first (appnest migrate ${plugin.id}).`,
        });
      }
      await this.runOne(runner, plugin.id, last, code, 'down');
      await this.runOne(runner, plugin.id, last, code, 'up');
      this.logger.info(`Plugin '${plugin.id}': redid migration '${last.name}'`);
      return last.name;
    });
  }

  private async runOne(runner: QueryRunner, pluginId: string, file: PluginMigrationFile, code: PluginCodeLoader, direction: 'up' | 'down'): Promise<void> {
    const migration = instantiateMigration(code, file);
    await runner.startTransaction();
    try {
      await runner.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.lockTimeoutMs))}`);
      await migration[direction](runner);
      if (direction === 'up') {
        await runner.query('INSERT INTO appnest_plugin_migrations (plugin_id, name, checksum) VALUES ($1, $2, $3)', [pluginId, file.name, file.checksum]);
      } else {
        await runner.query('DELETE FROM appnest_plugin_migrations WHERE plugin_id = $1 AND name = $2', [pluginId, file.name]);
      }
      await runner.commitTransaction();
    } catch (err) {
      try {
        await runner.rollbackTransaction();
      } catch (rollbackError) {
        this.logger.error(`Plugin '${pluginId}': rollback of migration '${file.name}' also failed: ${(rollbackError as Error).message}`);
      }
      const verb = direction === 'up' ? 'failed' : 'failed to revert';
      throw new PluginError('PLG_MIGRATION_FAILED', `Plugin '${pluginId}': migration '${file.name}' ${verb} and was rolled back: ${(err as Error).message}`, {
        pluginId,
        hint: 'Fix the migration and enable the plugin again; earlier migrations stay applied.',
        cause: err,
        details: { migration: file.name },
      });
    }
  }

  private async ledger(runner: QueryRunner, pluginId: string, release = false): Promise<LedgerRow[]> {
    try {
      return await runner.query('SELECT name, checksum, applied_at FROM appnest_plugin_migrations WHERE plugin_id = $1 ORDER BY name', [pluginId]);
    } finally {
      if (release) await runner.release();
    }
  }
}

function summarise(files: PluginMigrationFile[], rows: LedgerRow[]): MigrationStatus {
  const byName = new Map(files.map((f) => [f.name, f]));
  const applied = new Set(rows.map((r) => r.name));
  return {
    applied: rows.map((r) => ({
      name: r.name,
      appliedAt: new Date(r.applied_at).toISOString(),
      changed: byName.has(r.name) && byName.get(r.name)!.checksum !== r.checksum,
    })),
    pending: files.filter((f) => !applied.has(f.name)).map((f) => f.name),
  };
}
