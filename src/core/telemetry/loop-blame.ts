import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostLogger } from '../../logging/host-logger';
import { LoopWatchdog, type LoopBlock, type SampledStack } from './loop-watchdog';

/** What a block is blamed on: a plugin, or none (`pluginId` undefined), with the frame it spent most samples in. */
export interface BlockBlame {
  pluginId?: string;
  durationMs: number;
  /** `name (file)` of the innermost frame of the most sampled stack, in the plugin when blamed on one. */
  frame?: string;
}

export interface BlockObserver {
  loopBlocked(pluginId: string | undefined, seconds: number, at: Date): void;
}

/**
 * Names the plugin that blocks the event loop: the watchdog (loop-watchdog.ts) samples the main
 * thread's stacks during a block of at least `thresholdMs`; each sample is the plugin whose folder
 * holds its innermost frame under any plugin folder, and the block is the plugin's with the most
 * samples, else the host's. Logged as a warning under `plugin:<id>` and counted.
 */
export class LoopBlame {
  private readonly watchdog: LoopWatchdog;
  private foldersTimer?: NodeJS.Timeout;
  private sharedFolders?: string;

  constructor(
    thresholdMs: number,
    private readonly logger: HostLogger,
    /** The folders of the plugins this host knows, by id. */
    private readonly pluginDirs: () => Iterable<[string, string]>,
    private readonly observer: BlockObserver,
  ) {
    this.watchdog = new LoopWatchdog(
      thresholdMs,
      (block) => this.report(block),
      (message) => this.logger.warn(`The event-loop watchdog stopped: ${message}; blocks of the event loop are no longer reported.`),
    );
  }

  start(): void {
    this.watchdog.start();
    this.shareFolders();
    // The worker names a block that goes on by these; plugins come and go, so it is told again.
    this.foldersTimer = setInterval(() => this.shareFolders(), 5000);
    this.foldersTimer.unref();
  }

  stop(): Promise<void> {
    clearInterval(this.foldersTimer);
    return this.watchdog.stop();
  }

  private shareFolders(): void {
    const folders = this.folders();
    const key = JSON.stringify(folders);
    if (key === this.sharedFolders) return;
    this.sharedFolders = key;
    this.watchdog.setPluginFolders(folders);
  }

  /** Who is to blame for a block, from its sampled stacks. */
  blame(block: LoopBlock): BlockBlame {
    const dirs = this.folders();
    const votes = new Map<string | undefined, { samples: number; stack: SampledStack; frame?: SampledStack['frames'][number] }>();
    for (const stack of block.stacks) {
      let owner: string | undefined;
      let frame = stack.frames[0];
      for (const candidate of stack.frames) {
        const file = pathOf(candidate.url);
        const found = file && dirs.find(([, dir]) => file.startsWith(dir));
        if (found) {
          owner = found[0];
          frame = candidate;
          break;
        }
      }
      const vote = votes.get(owner);
      if (vote) vote.samples += stack.samples;
      else votes.set(owner, { samples: stack.samples, stack, frame });
    }
    let best: [string | undefined, { samples: number; frame?: SampledStack['frames'][number] }] | undefined;
    for (const entry of votes) if (!best || entry[1].samples > best[1].samples) best = entry;
    const frame = best?.[1].frame;
    return { pluginId: best?.[0], durationMs: block.durationMs, frame: frame && describeFrame(frame) };
  }

  private report(block: LoopBlock): void {
    const blame = this.blame(block);
    const at = new Date();
    const where = blame.frame ? ` in ${blame.frame}` : block.sampleError ? ` (not sampled: ${block.sampleError})` : '';
    if (blame.pluginId) {
      this.logger
        .child(`plugin:${blame.pluginId}`)
        .warn(
          `Plugin '${blame.pluginId}' blocked the event loop for ${blame.durationMs} ms${where}: no request of any plugin was served meanwhile. ` +
            'Move long synchronous work off the event loop (a worker thread, a background job, smaller steps with await between them).',
        );
    } else {
      this.logger.warn(`The event loop was blocked for ${blame.durationMs} ms outside any plugin${where}.`);
    }
    this.observer.loopBlocked(blame.pluginId, blame.durationMs / 1000, at);
  }

  /** Each plugin folder as given and with its links resolved (the loader names files either way), with a trailing separator. */
  private folders(): [string, string][] {
    const result: [string, string][] = [];
    for (const [id, dir] of this.pluginDirs()) {
      const forms = new Set([dir]);
      try {
        forms.add(realpathSync.native(dir));
      } catch {
        // removed meanwhile: the given path is enough
      }
      for (const form of forms) result.push([id, form.endsWith(sep) ? form : form + sep]);
    }
    return result;
  }
}

function pathOf(url: string): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return url;
}

function describeFrame(frame: SampledStack['frames'][number]): string {
  const file = pathOf(frame.url) ?? (frame.url || 'native code');
  // The line would be of the compiled code, not of the source the author knows: the file says enough.
  return `${frame.functionName || '(anonymous)'} (${file})`;
}
