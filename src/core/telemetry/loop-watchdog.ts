import { Worker } from 'node:worker_threads';

/** One call stack the main thread was sampled in during a block, innermost frame first. */
export interface SampledStack {
  frames: { functionName: string; url: string; lineNumber: number; columnNumber: number }[];
  /** How many samples had this stack. */
  samples: number;
}

export interface LoopBlock {
  /** How long the event loop did not turn (a lower bound, within one heartbeat). */
  durationMs: number;
  /** What ran on the main thread during the block, most sampled first; empty when it ended before it could be sampled. */
  stacks: SampledStack[];
  /** Why there is no sample, when there is none. */
  sampleError?: string;
}

/**
 * The heartbeat's period for a threshold: a tenth of it, within 10 and 100 ms. Each wake-up of an
 * idle thread costs (about 0.15 ms of CPU on a small virtual machine), so the two timers tick no
 * more often than the precision needs.
 */
export function heartbeatMs(thresholdMs: number): number {
  return Math.min(100, Math.max(10, Math.floor(thresholdMs / 10)));
}

/**
 * Sees the event loop stop turning and samples what runs meanwhile. The main thread writes the
 * time into shared memory on a timer (the heartbeat: one store per period, its whole cost while
 * nothing blocks). A worker thread reads it every quarter of the threshold; once it is older than
 * half the threshold, the worker
 * connects the inspector to the main thread and starts the CPU profiler (the inspector handles its
 * messages by interrupt, so this works while the main thread runs JavaScript), stops it after a
 * short window, and when the heartbeat comes back reports a block of at least the threshold with
 * the sampled stacks. The inspector is connected only during a block. A block that goes on past
 * `stillBlockedMs` (a loop that never returns) is named by the worker itself while it lasts,
 * written straight to standard output: the main thread, which logs everything else, is stuck.
 */
export class LoopWatchdog {
  private worker?: Worker;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly thresholdMs: number,
    private readonly onBlock: (block: LoopBlock) => void,
    private readonly onFailure: (message: string) => void,
  ) {}

  start(): void {
    if (this.worker) return;
    const beatMs = heartbeatMs(this.thresholdMs);
    const beat = new BigInt64Array(new SharedArrayBuffer(8));
    const store = () => Atomics.store(beat, 0, BigInt(Date.now()));
    store();
    this.timer = setInterval(store, beatMs);
    this.timer.unref();
    const workerData = { beat, thresholdMs: this.thresholdMs, beatMs, stillBlockedMs: stillBlockedMs(this.thresholdMs) };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, name: 'appnest event-loop watchdog' });
    worker.on('message', (block: LoopBlock) => this.onBlock(block));
    worker.on('error', (err) => this.onFailure(err.message));
    worker.unref();
    this.worker = worker;
  }

  /** The plugin folders (`[id, folder with a trailing separator]`) the worker names a block that goes on by. */
  setPluginFolders(folders: [string, string][]): void {
    this.worker?.postMessage({ folders });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** How long a block lasts before the worker names it while it goes on: 5 s, or three thresholds when that is longer. */
export function stillBlockedMs(thresholdMs: number): number {
  return Math.max(5000, thresholdMs * 3);
}

/** The worker's code, plain JavaScript (it runs as given, in the build and under the test runner alike). */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { Session } = require('node:inspector');
const { writeSync } = require('node:fs');
const { beat, thresholdMs, beatMs, stillBlockedMs } = workerData;
let folders = [];
let told = false;
parentPort.on('message', (message) => {
  if (message && Array.isArray(message.folders)) folders = message.folders;
});
const SAMPLE_WINDOW_MS = 250;
const SKIPPED = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
let last = Number(Atomics.load(beat, 0));
let sampling = null;
let busy = false;

function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params || {}, (err, result) => (err ? reject(err) : resolve(result))));
}

async function startSampling() {
  const state = { session: new Session(), started: Date.now(), profile: null, error: null, stopping: null };
  sampling = state;
  try {
    state.session.connectToMainThread();
    await post(state.session, 'Profiler.enable');
    await post(state.session, 'Profiler.setSamplingInterval', { interval: 1000 });
    await post(state.session, 'Profiler.start');
  } catch (err) {
    state.error = err.message;
  }
}

function stopSampling(state) {
  state.stopping = state.stopping || (async () => {
    if (!state.error) {
      try {
        state.profile = (await post(state.session, 'Profiler.stop')).profile;
      } catch (err) {
        state.error = err.message;
      }
    }
    try { state.session.disconnect(); } catch {}
  })();
  return state.stopping;
}

/** A frame's file path (the profiler gives file: URLs for ES modules). */
function fileOf(url) {
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
}

/** The plugin whose folder holds the innermost plugin frame of the most samples, and that frame. */
function ownerOf(stacks) {
  const votes = new Map();
  for (const stack of stacks) {
    let owner;
    let frame = stack.frames[0];
    for (const candidate of stack.frames) {
      const file = fileOf(candidate.url);
      const found = file && folders.find(([, dir]) => file.startsWith(dir));
      if (found) {
        [owner, frame] = [found[0], candidate];
        break;
      }
    }
    const vote = votes.get(owner) || { samples: 0, frame };
    vote.samples += stack.samples;
    votes.set(owner, vote);
  }
  let best;
  for (const entry of votes) if (!best || entry[1].samples > best[1].samples) best = entry;
  return best ? { pluginId: best[0], frame: best[1].frame } : {};
}

/** Names a block that goes on, in the host's log format, straight to standard output. */
function tellStillBlocked(state, blockedMs) {
  const { pluginId, frame } = ownerOf(stacksOf(state.profile));
  const where = frame ? ' in ' + (frame.functionName || '(anonymous)') + ' (' + fileOf(frame.url) + ')' : '';
  const text = pluginId
    ? '[plugin:' + pluginId + "] Plugin '" + pluginId + "' has blocked the event loop for " + blockedMs + ' ms and still does' + where + ': nothing else runs until it returns.'
    : '[appnest] The event loop has been blocked for ' + blockedMs + ' ms outside any plugin and still is' + where + '.';
  try {
    writeSync(1, new Date().toISOString() + ' WARN  ' + text + String.fromCharCode(10));
  } catch {}
}

/** Distinct stacks of the samples, innermost frame first, most sampled first. */
function stacksOf(profile) {
  if (!profile) return [];
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children || []) parent.set(child, node.id);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) || 0) + 1);
  const stacks = [];
  for (const [id, samples] of counts) {
    const leaf = byId.get(id);
    if (!leaf || SKIPPED.has(leaf.callFrame.functionName)) continue;
    const frames = [];
    for (let at = id; at !== undefined && frames.length < 64; at = parent.get(at)) {
      const { functionName, url, lineNumber, columnNumber } = byId.get(at).callFrame;
      if (functionName === '(root)') break;
      frames.push({ functionName, url, lineNumber, columnNumber });
    }
    stacks.push({ frames, samples });
  }
  return stacks.sort((a, b) => b.samples - a.samples).slice(0, 20);
}

async function check() {
  const now = Date.now();
  const current = Number(Atomics.load(beat, 0));
  if (current !== last) {
    const durationMs = current - last - beatMs;
    last = current;
    told = false;
    const state = sampling;
    if (!state) return;
    sampling = null;
    await stopSampling(state);
    if (durationMs >= thresholdMs) {
      parentPort.postMessage({ durationMs, stacks: stacksOf(state.profile), ...(state.error ? { sampleError: state.error } : {}) });
    }
    return;
  }
  if (!sampling && now - last > thresholdMs / 2) await startSampling();
  else if (sampling && !sampling.stopping && now - sampling.started > SAMPLE_WINDOW_MS) await stopSampling(sampling);
  else if (sampling && sampling.stopping && !told && now - last >= stillBlockedMs) {
    told = true;
    await sampling.stopping;
    tellStillBlocked(sampling, now - last);
  }
}

setInterval(() => {
  if (busy) return;
  busy = true;
  check().finally(() => (busy = false));
}, Math.max(beatMs, Math.floor(thresholdMs / 4)));
`;
