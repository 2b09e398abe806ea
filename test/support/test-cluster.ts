import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startHostProcess, stopProcess } from './processes';
import { createPostgresDatabase } from './test-database';
import { ADMIN_TOKEN, FIXTURES } from './test-host';

export interface ClusterInstance {
  child: ChildProcess;
  url: string;
  /** The instance id its /api/health reports. */
  id: string;
  pluginsDir: string;
}

/**
 * Host processes sharing one fresh PostgreSQL database, each with its own data and plugin folders
 * under one temp folder. `close()` kills them, drops the database and removes the folders.
 */
export class TestCluster {
  readonly instances: ClusterInstance[] = [];
  private started = 0;

  private constructor(
    readonly root: string,
    readonly db: { url: string; drop: () => Promise<void> },
    /** A connection of the test's own to the shared database. */
    readonly sql: Client,
  ) {}

  static async create(name: string): Promise<TestCluster> {
    const root = mkdtempSync(join(tmpdir(), `appnest-${name}-`));
    const db = await createPostgresDatabase();
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    return new TestCluster(root, db, sql);
  }

  /** Starts `count` instances side by side, each with copies of the `fixtures` in its plugins folder. */
  async start(count: number, options: { fixtures?: string[]; env?: Record<string, string> } = {}): Promise<ClusterInstance[]> {
    const numbers = Array.from({ length: count }, () => ++this.started);
    const started = await Promise.all(numbers.map((n) => this.startOne(n, options)));
    this.instances.push(...started);
    return started;
  }

  private async startOne(n: number, { fixtures = [], env = {} }: { fixtures?: string[]; env?: Record<string, string> }): Promise<ClusterInstance> {
    const pluginsDir = join(this.root, `plugins-${n}`);
    mkdirSync(pluginsDir, { recursive: true });
    for (const id of fixtures) cpSync(join(FIXTURES, id), join(pluginsDir, id), { recursive: true });
    const { child, url } = await startHostProcess({
      PORT: '0',
      DATABASE_URL: this.db.url,
      APPNEST_DATA_DIR: join(this.root, `data-${n}`),
      APPNEST_PLUGINS_DIR: pluginsDir,
      APPNEST_FRONTEND_PLUGINS_DIR: join(this.root, `fe-${n}`),
      APPNEST_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    });
    const health = (await (await fetch(`${url}/api/health`)).json()) as { instance: string };
    return { child, url, id: health.instance, pluginsDir };
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((i) => stopProcess(i.child, 'SIGKILL')));
    await this.sql.end();
    await this.db.drop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** An admin API call with the test token; the JSON answer. */
export async function adminCall(url: string, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
