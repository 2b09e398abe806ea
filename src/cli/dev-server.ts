import { existsSync } from 'node:fs';
import type { AppnestHost } from '../core/appnest-host';
import { PluginWatcher } from './plugin-watcher';

interface PluginView {
  id: string;
  state: string;
  error: { code: string; message: string; hint?: string | null } | null;
}

/**
 * `appnest dev`: the host, plus a watcher on the plugins folder that reloads changed plugins live.
 * Reloads run one at a time; changes saved during one are picked up by the next.
 */
export class DevServer {
  private readonly watchers: PluginWatcher[];
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly host: AppnestHost,
    private readonly out: (line: string) => void,
    private readonly err: (line: string) => void,
    debounceMs = 100,
  ) {
    const { pluginsDir, frontendPluginsDir } = host.config;
    this.watchers = [pluginsDir, frontendPluginsDir].filter((dir) => existsSync(dir)).map((dir) => new PluginWatcher(dir, () => this.schedule(), debounceMs));
  }

  start(): void {
    for (const watcher of this.watchers) watcher.start();
    this.out(`Watching ${this.host.config.pluginsDir} for changes (Ctrl+C to stop)`);
  }

  /** Waits for a reload in progress, then stops watching. */
  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    this.again = false;
    await this.running;
  }

  private schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.reload().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
  }

  private async reload(): Promise<void> {
    const began = Date.now();
    try {
      const { added, removed, changed, plugins } = await this.host.reload({ actor: 'cli:dev' });
      const ms = Date.now() - began;
      const byId = new Map<string, PluginView>(plugins.map((p) => [p.id, p]));
      for (const id of added) this.out(`+ ${id}: ${byId.get(id)?.state ?? 'added'} (enable it with: appnest enable ${id} --accept-risk)`);
      for (const id of removed) this.out(`- ${id}: files removed`);
      for (const id of changed) this.report(byId.get(id), id, ms);
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.err(`${code ? `${code}: ` : ''}reload failed: ${(err as Error).message}`);
    }
  }

  private report(view: PluginView | undefined, id: string, ms: number): void {
    if (!view) return;
    if (!view.error) {
      this.out(`↻ ${id}: reloaded in ${ms} ms (${view.state})`);
      return;
    }
    const serving = view.state === 'active' ? ' (the previous version keeps serving)' : '';
    this.err(`${view.error.code}: ${view.error.message}${serving}`);
    const entry = this.host.registry.get(id);
    const where = pluginFrame(entry?.error, entry?.discovered?.dir);
    if (where && !view.error.message.includes(where)) this.err(`  at ${where}`);
    if (view.error.hint) this.err(`hint: ${view.error.hint}`);
  }
}

/** The first stack frame in the plugin's own files, through the error and its causes: where a start failure came from. */
export function pluginFrame(err: unknown, dir: string | undefined): string | undefined {
  for (let current = err, depth = 0; dir && current instanceof Error && depth < 5; current = current.cause, depth++) {
    for (const line of (current.stack ?? '').split('\n').slice(1)) {
      const frame = /\(?((?:\/|[A-Za-z]:\\)[^()]+:\d+:\d+)\)?\s*$/.exec(line)?.[1];
      if (frame?.startsWith(dir) && !frame.includes('node_modules')) return frame;
    }
  }
  return undefined;
}
