import { EventEmitter } from 'node:events';

/** How many lines of each plugin are kept. */
export const PLUGIN_LOG_LINES = 200;

const CLOSE = Symbol('close');

const PLUGIN_CONTEXT = /^\S+ \S+\s+\[plugin:([^\]]+)\] /;

/**
 * The last PLUGIN_LOG_LINES log lines of each plugin (those under `[plugin:<id>]`), in memory,
 * and the lines as they come for followers. Fed by the host logger's sink, so it holds exactly
 * what the log shows.
 */
export class PluginLogBuffer {
  private readonly lines = new Map<string, string[]>();
  private readonly followers = new EventEmitter();

  constructor(private readonly capacity = PLUGIN_LOG_LINES) {
    this.followers.setMaxListeners(0);
  }

  /** A sink that keeps the plugin's lines, then passes every line on to `next` (default: stdout). */
  tee(next: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): (line: string) => void {
    return (line) => {
      this.add(line);
      next(line);
    };
  }

  add(line: string): void {
    const pluginId = PLUGIN_CONTEXT.exec(line)?.[1];
    if (pluginId === undefined) return;
    let kept = this.lines.get(pluginId);
    if (!kept) {
      kept = [];
      this.lines.set(pluginId, kept);
    }
    kept.push(line);
    if (kept.length > this.capacity) kept.splice(0, kept.length - this.capacity);
    this.followers.emit(pluginId, line);
  }

  /** The plugin's last `count` lines, oldest first. */
  last(pluginId: string, count = this.capacity): string[] {
    return count <= 0 ? [] : (this.lines.get(pluginId) ?? []).slice(-count);
  }

  /**
   * Calls `listener` with each new line of the plugin, and `onClose` once when the host stops (a
   * follower's open response would keep the server from closing); returns the unsubscribe.
   */
  follow(pluginId: string, listener: (line: string) => void, onClose: () => void): () => void {
    this.followers.on(pluginId, listener);
    this.followers.once(CLOSE, onClose);
    return () => {
      this.followers.off(pluginId, listener);
      this.followers.off(CLOSE, onClose);
    };
  }

  /** Ends every follow. */
  close(): void {
    this.followers.emit(CLOSE);
  }

  forget(pluginId: string): void {
    this.lines.delete(pluginId);
  }
}
