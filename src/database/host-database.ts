import { join } from 'node:path';
import type { DataSourceOptions, QueryRunner } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import { HOST_MIGRATIONS } from '../../migrations';
import { EmbeddedPostgres } from './embedded-postgres';
import { HOST_ENTITIES } from './host-entities';
import { SharedDataSource } from './shared-data-source';

/** Key of the advisory lock that serialises all schema work across host processes. */
const MIGRATION_LOCK_KEY = 0x61707031; // "app1"
const MIGRATIONS_TABLE = 'appnest_host_migrations';

export interface HostDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  migrationLockTimeoutMs: number;
}

/** Connection options of the host's DataSource. */
function connectionOptions(url: string, poolSize: number): DataSourceOptions {
  return { type: 'postgres', url, extra: { max: poolSize }, logging: false, synchronize: false };
}

/**
 * The core's database: the embedded PostgreSQL or the configured one, the host's own tables,
 * and the cluster-wide migration lock.
 */
export class HostDatabase {
  private embedded?: EmbeddedPostgres;

  private constructor(
    readonly url: string,
    readonly dataSource: SharedDataSource,
    private readonly lockTimeoutMs: number,
    readonly kind: 'embedded' | 'postgres',
  ) {}

  static async open(options: HostDatabaseOptions): Promise<HostDatabase> {
    let embedded: EmbeddedPostgres | undefined;
    let url = options.databaseUrl;
    if (!url) {
      embedded = await EmbeddedPostgres.start(join(options.dataDir, 'pgdata'), options.dataDir);
      url = embedded.url;
    }
    const dataSource = new SharedDataSource({
      ...connectionOptions(url, 10),
      migrations: HOST_MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
    });
    dataSource.setHostEntities(HOST_ENTITIES);
    try {
      await dataSource.initialize();
    } catch (err) {
      await embedded?.stop();
      throw new PluginError('PLG_INTERNAL', `Cannot connect to the database at ${redact(url)}: ${(err as Error).message}`, {
        hint: 'Check DATABASE_URL, or unset it to use the embedded database.',
        cause: err,
      });
    }
    const db = new HostDatabase(url, dataSource, options.migrationLockTimeoutMs, embedded ? 'embedded' : 'postgres');
    db.embedded = embedded;
    if (await hostMigrationsPending(dataSource)) await db.withMigrationLock(() => dataSource.runMigrations({ transaction: 'each' }));
    return db;
  }

  /**
   * Runs `work` holding the cluster-wide migration lock, on one dedicated connection that `work`
   * receives. Waits at most the lock timeout for another process to release it.
   */
  async withMigrationLock<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const deadline = Date.now() + this.lockTimeoutMs;
      for (;;) {
        const [row] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
        if (row.locked) break;
        if (Date.now() > deadline) {
          throw new PluginError('PLG_MIGRATION_LOCK_TIMEOUT', `The migration lock stayed held by another host process for more than ${this.lockTimeoutMs} ms.`, {
            hint: 'Another instance is migrating; retry when it has finished, or raise APPNEST_MIGRATION_LOCK_TIMEOUT_MS.',
          });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return await releaseAfter(work(runner), () => runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]));
    } catch (err) {
      // A lost connection fails the unlock and the release too; the caller needs the first error.
      await runner.release().catch(() => undefined);
      throw err;
    } finally {
      if (!runner.isReleased) await runner.release();
    }
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

/**
 * Awaits `work`, then runs `cleanup`. When `work` failed, a failing cleanup is not allowed to
 * replace its error (what a lost connection does to an unlock); when it succeeded, the cleanup's
 * error is the outcome.
 */
export async function releaseAfter<T>(work: Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  let result: T;
  try {
    result = await work;
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  await cleanup();
  return result;
}

/**
 * Whether a host migration is not applied yet (or the ledger table is missing): read without the
 * lock, which is then taken (and the ledger read again under it) only to apply them. A start of an
 * up-to-date host makes one query instead of a connection of its own, the lock and the ledger's
 * table checks.
 */
async function hostMigrationsPending(dataSource: SharedDataSource): Promise<boolean> {
  try {
    const rows = (await dataSource.query(`SELECT name FROM ${MIGRATIONS_TABLE}`)) as { name: string }[];
    const applied = new Set(rows.map((r) => r.name));
    return dataSource.migrations.some((m) => !applied.has(m.name ?? m.constructor.name));
  } catch {
    return true;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
