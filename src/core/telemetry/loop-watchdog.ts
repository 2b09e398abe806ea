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
 * the sampled stacks. The inspector is connected only during a block.
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
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { beat, thresholdMs: this.thresholdMs, beatMs }, name: 'appnest event-loop watchdog' });
    worker.on('message', (block: LoopBlock) => this.onBlock(block));
    worker.on('error', (err) => this.onFailure(err.message));
    worker.unref();
    this.worker = worker;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** The worker's code, plain JavaScript (it runs as given, in the build and under the test runner alike). */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { Session } = require('node:inspector');
const { beat, thresholdMs, beatMs } = workerData;
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
}

setInterval(() => {
  if (busy) return;
  busy = true;
  check().finally(() => (busy = false));
}, Math.max(beatMs, Math.floor(thresholdMs / 4)));
`;
