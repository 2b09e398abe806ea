import { PluginError } from '../errors/plugin-error';

/** A sliding one-minute window of events per key (an address). */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records one event for `key`, or throws PLG_RATE_LIMITED when the window is full. */
  take(key: string, now = Date.now()): void {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) {
      const retryAfterSeconds = Math.ceil((60_000 - (now - recent[0])) / 1000);
      throw new PluginError('PLG_RATE_LIMITED', `Too many plugin imports from ${key}: at most ${this.perMinute} a minute.`, {
        hint: `Retry in ${retryAfterSeconds} s.`,
        details: { retryAfterSeconds },
      });
    }
    recent.push(now);
    this.hits.set(key, recent);
  }
}
