/**
 * appnest/testing: boot a real host with your plugin in a test.
 *
 * ```ts
 * import request from 'supertest';
 * import { startTestHost } from 'appnest/testing';
 * const host = await startTestHost({ plugins: [join(__dirname, '..')] });
 * await request(host.url).get('/api/plugins/demo/items').expect(200);
 * await host.stop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadConfig, type HostConfig } from '../config/host-config';
import type { AppnestHost } from '../core/appnest-host';
import { startHost } from '../host/start-host';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { seedEmbeddedDatabase, TempDatabase } from './testing-database';

export interface TestHostOptions {
  /** Plugin folders to install (copied into a temp plugins folder; node_modules below the root is left out). */
  plugins: string[];
  /** Enable every plugin, accepting the trust warning (default true). */
  enable?: boolean;
  /**
   * A PostgreSQL server (default: DATABASE_URL). The test host creates a database of its own on
   * it and drops it on stop(); without one it runs on the embedded database in its temp folder.
   */
  databaseUrl?: string;
  /** Host log lines at this level and above are kept in `logs` (default: info). */
  logLevel?: HostConfig['logLevel'];
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  /** The JSON body parsed, or the text when it is not JSON. */
  body: T;
}

export interface TestHost {
  /** The host's base URL, e.g. http://127.0.0.1:41234: `request(host.url)` with supertest. */
  readonly url: string;
  /** The admin bearer token, for the admin API (`Authorization: Bearer <token>`). */
  readonly adminToken: string;
  /** The running host (its admin methods: enable, disable, saveSettings, runAction, reload, ...). */
  readonly host: AppnestHost;
  /** The host's log lines so far. */
  readonly logs: string[];
  /** Sends a request with the admin token; `body` is sent as JSON. */
  request<T = any>(method: string, path: string, body?: unknown): Promise<TestResponse<T>>;
  /** Stops the host and removes its folders (and its database). Idempotent. */
  stop(): Promise<void>;
}

/** Starts a real AppnestHost on a temp folder with the given plugins installed (and enabled). */
export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const root = mkdtempSync(join(tmpdir(), 'appnest-testhost-'));
  const pluginsDir = join(root, 'plugins');
  let database: TempDatabase | undefined;
  let host: AppnestHost | undefined;
  const logs: string[] = [];
  const cleanup = async () => {
    await host?.stop();
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const ids = options.plugins.map((dir) => installCopy(resolve(dir), pluginsDir));
    const serverUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    database = serverUrl ? await TempDatabase.create(serverUrl) : undefined;
    if (!database) await seedEmbeddedDatabase(join(root, 'data', 'pgdata'));
    const adminToken = randomBytes(16).toString('hex');
    const config: HostConfig = {
      ...loadConfig({}, root),
      port: 0,
      databaseUrl: database?.url,
      dataDir: join(root, 'data'),
      pluginsDir,
      frontendPluginsDir: join(root, 'frontend-plugins'),
      adminToken,
      drainTimeoutMs: 1000,
      logLevel: options.logLevel ?? 'info',
      // The test runner compiles and loads modules on the event loop for seconds at a time: a block
      // there is not the plugin's, so the event-loop watchdog is off in plugin tests.
      blockedLoopMs: 0,
    };
    mkdirSync(config.frontendPluginsDir, { recursive: true });
    host = await startHost(config, { logSink: (line) => logs.push(line) });
    if (options.enable !== false) {
      for (const id of ids) await host.enable(id, { actor: 'test', acceptRisk: true });
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return new RunningTestHost(host, logs, cleanup);
}

class RunningTestHost implements TestHost {
  private stopping?: Promise<void>;

  constructor(
    readonly host: AppnestHost,
    readonly logs: string[],
    private readonly cleanup: () => Promise<void>,
  ) {}

  get url(): string {
    return this.host.url;
  }

  get adminToken(): string {
    return this.host.adminToken;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.host.adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  stop(): Promise<void> {
    this.stopping ??= this.cleanup();
    return this.stopping;
  }
}

/** Copies a plugin folder into pluginsDir (without nested node_modules or .git); returns its id. */
function installCopy(source: string, pluginsDir: string): string {
  const target = join(pluginsDir, basename(source));
  cpSync(source, target, {
    recursive: true,
    filter: (path) => {
      const name = basename(path);
      return name !== '.git' && !(name === 'node_modules' && resolve(path, '..') !== source);
    },
  });
  const plugin = readPluginFolder(target, 'plugins');
  if (plugin.error) throw plugin.error;
  return plugin.id;
}
