import { setTimeout as sleep } from 'node:timers/promises';

/** Requests an activation served, and how many of them answered 5xx. */
export interface RequestCounts {
  requests: number;
  serverErrors: number;
}

/** Counts answered requests and 5xx answers per activation, so an upgrade's new version is compared with the one it replaced. */
export class RequestTally {
  private readonly counts = new WeakMap<object, RequestCounts>();

  answered(activation: object, status: number): void {
    let counts = this.counts.get(activation);
    if (!counts) this.counts.set(activation, (counts = { requests: 0, serverErrors: 0 }));
    counts.requests++;
    if (status >= 500) counts.serverErrors++;
  }

  of(activation: object | undefined): RequestCounts {
    return { ...((activation && this.counts.get(activation)) ?? { requests: 0, serverErrors: 0 }) };
  }
}

/** The error rate a new version may reach whatever the previous one did: 5 % of its requests. */
export const ERROR_RATE_FLOOR = 0.05;

/** Errors (5xx answers and unhandled errors) per request; with no request, the errors themselves. */
export function errorRate(counts: RequestCounts, unhandled: number): number {
  return (counts.serverErrors + unhandled) / Math.max(counts.requests, 1);
}

export interface ProbeSubject {
  windowMs: number;
  /** The previous version's figures, read before the upgrade. */
  previous: RequestCounts & { unhandled: number };
  /** The new version's requests since it started, if it still runs. */
  current: () => RequestCounts | undefined;
  /** The plugin's unhandled errors so far (since the host started). */
  unhandled: () => number;
  health: () => Promise<{ status: string; reason?: string }>;
}

/**
 * Watches a new version for `windowMs` after an upgrade started it; returns why it fails (it
 * stopped, its health check does not answer ok, or its error rate passes both the previous
 * version's and the floor), or undefined when it is kept.
 */
export async function probeUpgrade(subject: ProbeSubject): Promise<string | undefined> {
  const unhandledBefore = subject.unhandled();
  await sleep(subject.windowMs);
  const counts = subject.current();
  if (!counts) return 'it stopped during the probe window';
  const health = await subject.health();
  if (health.status !== 'ok') return `its health check answered ${health.status}${health.reason ? ` (${health.reason})` : ''}`;
  const unhandled = subject.unhandled() - unhandledBefore;
  const rate = errorRate(counts, unhandled);
  const previousRate = errorRate(subject.previous, subject.previous.unhandled);
  const allowed = Math.max(previousRate, ERROR_RATE_FLOOR);
  if (rate <= allowed) return undefined;
  const percent = (n: number) => `${(n * 100).toFixed(1)} %`;
  return `its error rate was ${percent(rate)} (${counts.serverErrors} 5xx answer(s) and ${unhandled} unhandled error(s) in ${counts.requests} request(s)), above the ${percent(allowed)} allowed (the previous version's ${percent(previousRate)}, at least ${percent(ERROR_RATE_FLOOR)})`;
}
