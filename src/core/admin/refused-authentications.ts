import { PluginError } from '../../errors/plugin-error';
import type { AuditLog } from './audit-log';

interface Window {
  started: number;
  count: number;
  reported: number;
  last: string;
}

const MINUTE = 60_000;

/**
 * Refused admin authentications per client address: throttled (PLG_RATE_LIMITED past the limit in
 * one minute; the right token is never limited) and aggregated in the audit: the first refusal of
 * a minute gets its row, the rest of that minute one more row with their count, so a flood cannot
 * push the real history out of view.
 */
export class RefusedAuthentications {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly audit: AuditLog,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), MINUTE);
    this.timer.unref();
  }

  /** Throws PLG_RATE_LIMITED while `address` is over its limit of refusals this minute. */
  assertAllowed(address: string): void {
    const window = this.windows.get(address);
    if (!window || this.now() - window.started >= MINUTE || window.count < this.perMinute) return;
    window.count++;
    const retryAfterSeconds = Math.ceil((MINUTE - (this.now() - window.started)) / 1000);
    throw new PluginError('PLG_RATE_LIMITED', `Too many refused authentications from ${address}: at most ${this.perMinute} a minute.`, {
      hint: `Retry in ${retryAfterSeconds} s with the right admin token.`,
      details: { retryAfterSeconds },
    });
  }

  async refuse(address: string, what: string): Promise<void> {
    let window = this.windows.get(address);
    if (!window || this.now() - window.started >= MINUTE) {
      if (window) await this.report(address, window);
      window = { started: this.now(), count: 0, reported: 0, last: what };
      this.windows.set(address, window);
    }
    window.count++;
    window.last = what;
    if (window.count === 1) {
      window.reported = 1;
      await this.audit.record({ actor: 'anonymous', ip: address, action: `auth ${what}`, outcome: 'refused', detail: { count: 1 } });
    }
  }

  /** Writes the counts not yet in the audit and forgets finished minutes. */
  async flush(): Promise<void> {
    for (const [address, window] of this.windows) {
      await this.report(address, window);
      if (this.now() - window.started >= MINUTE) this.windows.delete(address);
    }
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.flush();
  }

  private async report(address: string, window: Window): Promise<void> {
    const count = window.count - window.reported;
    if (count <= 0) return;
    window.reported = window.count;
    await this.audit.record({ actor: 'anonymous', ip: address, action: 'auth (repeated)', outcome: 'refused', detail: { count, last: window.last } });
  }
}
