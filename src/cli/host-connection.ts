import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostConfig } from '../config/host-config';
import type { AppnestHost } from '../core/appnest-host';
import { startHost } from '../host/start-host';
import { PluginError, isErrorCode } from '../errors/plugin-error';
import { resolveAdminToken } from '../core/admin/admin-token';
import { dataFoldersAbove, enclosingPlugin, hostInsidePlugin } from './enclosing-plugin';

/** What the CLI asks of a host, whether it talks to a running one or starts one for the command. */
export interface HostConnection {
  readonly live: boolean;
  call<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** Uploads a plugin archive to the import endpoint. */
  upload<T = unknown>(zip: Buffer, fileName: string, overwrite: boolean): Promise<T>;
  close(): Promise<void>;
}

/** A host process that is up: its admin API, so the change is live. */
class RunningHost implements HostConnection {
  readonly live = true;
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' });
  }

  upload<T>(zip: Buffer, fileName: string, overwrite: boolean): Promise<T> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), fileName);
    if (overwrite) form.append('overwrite', 'true');
    return this.send<T>('POST', '/api/admin/plugins/import', form, {});
  }

  private async send<T>(method: string, path: string, body: string | FormData | undefined, headers: Record<string, string>): Promise<T> {
    const res = await fetch(this.url + path, { method, headers: { authorization: `Bearer ${this.token}`, ...headers }, body });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const code = parsed?.code && isErrorCode(parsed.code) ? parsed.code : 'PLG_INTERNAL';
      throw new PluginError(code, parsed?.message ?? `HTTP ${res.status}`, { pluginId: parsed?.pluginId, hint: parsed?.hint });
    }
    return parsed as T;
  }

  async close(): Promise<void> {}
}

/** No host is up: start the core in this process for the command (same services), then stop it. */
class InProcessHost implements HostConnection {
  readonly live = false;
  constructor(private readonly host: AppnestHost) {}

  static async start(config: HostConfig): Promise<InProcessHost> {
    const host = await startHost(
      { ...config, port: 0, logLevel: config.logLevel === 'debug' ? 'debug' : 'warn' },
      {
        logSink: (line) => process.stderr.write(`${line}\n`),
      },
    );
    return new InProcessHost(host);
  }

  private get remote(): RunningHost {
    return new RunningHost(this.host.url, this.host.adminToken);
  }

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.remote.call<T>(method, path, body);
  }

  upload<T>(zip: Buffer, fileName: string, overwrite: boolean): Promise<T> {
    return this.remote.upload<T>(zip, fileName, overwrite);
  }

  close(): Promise<void> {
    return this.host.stop();
  }
}

/** The URL of a host process of this data folder that answers its health check, if any. */
export async function runningHostUrl(dataDir: string): Promise<string | undefined> {
  const file = join(dataDir, 'host.json');
  if (!existsSync(file)) return undefined;
  try {
    const { pid, url } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
    process.kill(pid, 0);
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The running host of the data folder, else a host started in-process for the command. Inside a
 * plugin folder with no APPNEST_DATA_DIR, `./data` would be the plugin's own: the CLI looks for a
 * running host in a `data/` folder above it instead, and refuses rather than create one there.
 */
export async function connect(config: HostConfig, command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<HostConnection> {
  const url = await runningHostUrl(config.dataDir);
  if (url) return new RunningHost(url, resolveAdminToken(config.dataDir, config.adminToken).token);
  const plugin = env.APPNEST_DATA_DIR ? undefined : enclosingPlugin(cwd);
  if (!plugin) return InProcessHost.start(config);
  for (const dataDir of dataFoldersAbove(plugin)) {
    const above = await runningHostUrl(dataDir);
    if (!above) continue;
    const token = config.adminToken ?? readToken(dataDir);
    if (!token) throw hostInsidePlugin(plugin, command);
    return new RunningHost(above, token);
  }
  throw hostInsidePlugin(plugin, command);
}

/** The token a running host keeps in its data folder; never generates one. */
function readToken(dataDir: string): string | undefined {
  const file = join(dataDir, 'admin-token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}
