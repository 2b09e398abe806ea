import { execSync } from 'node:child_process';
import { TempDatabase } from '../../src/testing/testing-database';

export const POSTGRES_ADMIN_URL = process.env.APPNEST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Which database this Jest project runs the integration tests on. */
export const TEST_DB: 'embedded' | 'postgres' = process.env.APPNEST_TEST_DB === 'postgres' ? 'postgres' : 'embedded';

function postgresReady(): boolean {
  try {
    execSync('pg_isready -q -h 127.0.0.1 -p 5432', { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** true when PostgreSQL on 127.0.0.1:5432 answers, after trying to start the local cluster once. */
export function ensurePostgres(): boolean {
  if (postgresReady()) return true;
  try {
    execSync('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', { stdio: 'ignore', timeout: 30000 });
  } catch {
    return false;
  }
  return postgresReady();
}

const available = TEST_DB === 'embedded' || ensurePostgres();
if (!available) {
  process.stderr.write('PostgreSQL on 127.0.0.1:5432 is not reachable and could not be started: the postgres project skips its integration tests.\n');
}

/** `describe` on the database of this project, or `describe.skip` (with the reason printed) when it is unavailable. */
export const describeDb: jest.Describe = available ? describe : describe.skip;

/** A fresh, empty PostgreSQL database for one test; `drop()` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = await TempDatabase.create(POSTGRES_ADMIN_URL);
  return { url: db.url, drop: () => db.drop() };
}
