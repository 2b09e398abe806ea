import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostConfig } from '../../src/config/host-config';
import type { AppnestHost } from '../../src/core/appnest-host';
import { startHost } from '../../src/host/start-host';
import { seedEmbeddedDatabase } from '../../src/testing/testing-database';
import { createPostgresDatabase, TEST_DB } from './test-database';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const ADMIN_TOKEN = 'test-admin-token';

export interface HttpReply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A sandbox for one test: a temp folder with plugins/, frontend-plugins/ and data/, and a database
 * of the project's kind (embedded PGlite copied from a template, or a fresh PostgreSQL database).
 * Hosts started from it share the folders and the database, so a restart keeps the data.
 */
export class TestSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'appnest-test-'));
  readonly pluginsDir = join(this.root, 'plugins');
  readonly frontendPluginsDir = join(this.root, 'frontend-plugins');
  readonly dataDir = join(this.root, 'data');
  readonly logs: string[] = [];
  host?: AppnestHost;
  private databaseUrl?: string;
  private dropDatabase?: () => Promise<void>;

  static async create(fixtures: string[] = []): Promise<TestSandbox> {
    const sandbox = new TestSandbox();
    mkdirSync(sandbox.pluginsDir, { recursive: true });
    mkdirSync(sandbox.frontendPluginsDir, { recursive: true });
    mkdirSync(sandbox.dataDir, { recursive: true });
    for (const name of fixtures) sandbox.addPlugin(name);
    if (TEST_DB === 'postgres') {
      const db = await createPostgresDatabase();
      sandbox.databaseUrl = db.url;
      sandbox.dropDatabase = db.drop;
    } else {
      await seedEmbeddedDatabase(join(sandbox.dataDir, 'pgdata'));
    }
    return sandbox;
  }

  /** Copies a fixture plugin folder (test/fixtures/<name>) into the plugins folder. */
  addPlugin(fixture: string, as = fixture, into = this.pluginsDir): string {
    const target = join(into, as);
    cpSync(join(FIXTURES, fixture), target, { recursive: true });
    return target;
  }

  config(overrides: Partial<HostConfig> = {}): HostConfig {
    return {
      port: 0,
      databaseUrl: this.databaseUrl,
      dataDir: this.dataDir,
      pluginsDir: this.pluginsDir,
      frontendPluginsDir: this.frontendPluginsDir,
      adminToken: ADMIN_TOKEN,
      startTimeoutMs: 2000,
      migrationLockTimeoutMs: 10000,
      drainTimeoutMs: 5000,
      logLevel: 'info',
      authFailuresPerMinute: 1000,
      // In the test runner's own process, its module compiling blocks the event loop for seconds; the
      // watchdog is tested in host processes (test/loop-blame.e2e.ts).
      blockedLoopMs: 0,
      ...overrides,
    };
  }

  /** The environment a CLI or host process needs to use this sandbox. */
  env(): Record<string, string | undefined> {
    const config = this.config();
    return {
      APPNEST_DATA_DIR: config.dataDir,
      APPNEST_PLUGINS_DIR: config.pluginsDir,
      APPNEST_FRONTEND_PLUGINS_DIR: config.frontendPluginsDir,
      APPNEST_ADMIN_TOKEN: ADMIN_TOKEN,
      DATABASE_URL: config.databaseUrl ?? '',
      APPNEST_LOG_LEVEL: 'warn',
    };
  }

  async start(overrides: Partial<HostConfig> = {}): Promise<AppnestHost> {
    await this.host?.stop();
    this.host = await startHost(this.config(overrides), { logSink: (line) => this.logs.push(line) });
    return this.host;
  }

  async request<T = any>(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<HttpReply<T>> {
    if (!this.host) throw new Error('start the host first');
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.host.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  enable(id: string): Promise<HttpReply> {
    return this.request('POST', `/api/admin/plugins/${id}/enabled`, { enabled: true, acceptRisk: true });
  }

  disable(id: string): Promise<HttpReply> {
    return this.request('POST', `/api/admin/plugins/${id}/enabled`, { enabled: false });
  }

  async dispose(): Promise<void> {
    await this.host?.stop();
    this.host = undefined;
    await this.dropDatabase?.();
    rmSync(this.root, { recursive: true, force: true });
  }
}
