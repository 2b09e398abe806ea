import { sep } from 'node:path';
import type { HostLogger } from '../../logging/host-logger';
import { currentPluginScope, enterPluginScope, OUTSIDE_PLUGINS, type EnterScope } from '../activation/plugin-scope';

import type { UnhandledErrorView, UnhandledKind } from '../../contracts/plugin-view';

export type { UnhandledErrorView, UnhandledKind } from '../../contracts/plugin-view';

/** A plugin with this many unhandled errors within the window is marked degraded. */
export const DEGRADED_AFTER = 5;
export const DEGRADED_WINDOW_MS = 60_000;

interface PluginErrors {
  count: number;
  recent: number[];
  last?: { kind: UnhandledKind; message: string; at: string };
  degradedAt?: number;
}

/**
 * Stray errors of plugin code (a rejection nobody awaited, a throw from a timer or an emitter
 * callback) that would otherwise end the process: each is attributed to a plugin, by the
 * innermost frame of its stack under a plugin folder (and first, with `asyncScope`, by the async
 * scope its code ran in), logged once with the plugin id and counted. A plugin with
 * DEGRADED_AFTER of them within DEGRADED_WINDOW_MS is degraded until it next starts; the host
 * keeps serving.
 *
 * The async scope also names the plugin of an error raised inside Node or a library from a call
 * the plugin did not await (no plugin frame in its stack), but on Node 20 it turns on a hook
 * that every promise of the process pays for; hence off unless asked for.
 */
export class UnhandledErrors {
  private readonly plugins = new Map<string, PluginErrors>();

  private readonly asyncScope: boolean;
  private readonly now: () => number;

  constructor(
    private readonly logger: HostLogger,
    /** The folders of the plugins this host knows, by id: what stack frames are attributed by. */
    private readonly pluginDirs: () => Iterable<[string, string]>,
    options: { asyncScope?: boolean; now?: () => number } = {},
  ) {
    this.asyncScope = options.asyncScope ?? false;
    this.now = options.now ?? Date.now;
  }

  /** The scope to run a plugin's request handling, tasks, event handlers and hooks in (a plain call without `asyncScope`). */
  enter(pluginId: string): EnterScope {
    return this.asyncScope ? enterPluginScope({ pluginId, owner: this }) : OUTSIDE_PLUGINS;
  }

  /** Starts receiving the process's stray errors; the process then no longer exits on them. */
  attach(): void {
    trackers.add(this);
    if (trackers.size === 1) {
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
    }
  }

  detach(): void {
    if (!trackers.delete(this) || trackers.size > 0) return;
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }

  /**
   * The plugin whose code runs now: the scope it entered, else the stack of `cause` (the error a
   * log line reports, as Nest's ExceptionsHandler passes it), else the caller's stack.
   */
  pluginOfCurrentCode(cause?: unknown): string | undefined {
    const scope = currentPluginScope();
    if (scope?.owner === this) return scope.pluginId;
    const dirs = this.folders();
    const byCause = cause instanceof Error ? ownerOf(stackText(cause).split('\n'), dirs) : undefined;
    if (byCause) return byCause;
    // A plugin's log line comes a few frames above: a short stack first (its capture is most of the
    // cost), a long one only when the short one ran out of frames without finding the plugin.
    for (const frames of PROBE_FRAMES) {
      const lines = stackText(callersStack(frames)).split('\n');
      const pluginId = ownerOf(lines, dirs);
      if (pluginId || lines.length <= frames) return pluginId;
    }
    return undefined;
  }

  /** The plugin whose folder holds the innermost stack frame that is under any plugin folder. */
  attributeByStack(err: unknown): string | undefined {
    return ownerOf(stackText(err).split('\n'), this.folders());
  }

  /** Each known plugin's folder, ending with a separator so that `alpha` is not found in `alpha-beta`. */
  private folders(): [string, string][] {
    return [...this.pluginDirs()].map(([id, dir]) => [id, dir.endsWith(sep) ? dir : dir + sep]);
  }

  record(pluginId: string, kind: UnhandledKind, err: unknown): void {
    const entry = this.plugins.get(pluginId) ?? { count: 0, recent: [] };
    this.plugins.set(pluginId, entry);
    const now = this.now();
    const message = describe(err);
    entry.count++;
    entry.last = { kind, message, at: new Date(now).toISOString() };
    entry.recent = [...entry.recent.filter((t) => t > now - DEGRADED_WINDOW_MS), now];
    const alreadyDegraded = entry.degradedAt !== undefined;
    // Once degraded, further errors are counted but logged at debug: a loop must not flood the log.
    const logger = this.logger.child(`plugin:${pluginId}`);
    logger.log(alreadyDegraded ? 'debug' : 'error', `Plugin '${pluginId}': ${kind}, the host keeps serving: ${stackOf(err)}`);
    if (!alreadyDegraded && entry.recent.length >= DEGRADED_AFTER) {
      entry.degradedAt = now;
      logger.warn(
        `Plugin '${pluginId}' is degraded: ${entry.recent.length} unhandled errors within ${DEGRADED_WINDOW_MS / 1000} s. ` +
          'Fix the code that fires them (an un-awaited promise, a throwing timer or listener), then reload or disable and enable it.',
      );
    }
  }

  /** The plugin's counters (since the host started); `degraded` only while it runs. */
  viewOf(pluginId: string, running: boolean): UnhandledErrorView {
    const entry = this.plugins.get(pluginId);
    return {
      unhandledErrors: entry?.count ?? 0,
      lastUnhandledError: entry?.last ?? null,
      degraded: running && entry?.degradedAt !== undefined,
    };
  }

  /** A new activation starts with a clean window, not degraded. */
  started(pluginId: string): void {
    const entry = this.plugins.get(pluginId);
    if (entry) Object.assign(entry, { recent: [], degradedAt: undefined });
  }

  logUnattributed(kind: UnhandledKind, err: unknown): void {
    this.logger.error(`${kind} outside any plugin, the host keeps running: ${stackOf(err)}`);
  }
}

/** The hosts of this process (one, except in tests). */
const trackers = new Set<UnhandledErrors>();

function dispatch(kind: UnhandledKind, err: unknown): void {
  const scope = currentPluginScope();
  const owner = [...trackers].find((t) => t === scope?.owner);
  if (owner && scope) return owner.record(scope.pluginId, kind, err);
  for (const tracker of trackers) {
    const pluginId = tracker.attributeByStack(err);
    if (pluginId) return tracker.record(pluginId, kind, err);
  }
  [...trackers][0]?.logUnattributed(kind, err);
}

const onRejection = (reason: unknown): void => dispatch('unhandled rejection', reason);
const onException = (err: unknown): void => dispatch('uncaught exception', err);

/** How many frames of the caller's stack are looked at: enough for a direct call, then under a logging library's and Nest's own. */
const PROBE_FRAMES = [16, 64];

function callersStack(frames: number): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  try {
    return new Error('probe');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The plugin of the innermost frame (the lines after the message) under one of `dirs`, outside node_modules. */
function ownerOf(stackLines: string[], dirs: [string, string][]): string | undefined {
  for (const line of stackLines.slice(1)) {
    if (line.includes(`${sep}node_modules${sep}`)) continue;
    const owner = dirs.find(([, dir]) => line.includes(dir));
    if (owner) return owner[0];
  }
  return undefined;
}

/** The stack of an error as text; '' when there is none, or code replaced Error.prepareStackTrace with one that returns something else. */
function stackText(err: unknown): string {
  const stack = err instanceof Error ? (err.stack as unknown) : undefined;
  return typeof stack === 'string' ? stack : '';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function stackOf(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : describe(err);
}
