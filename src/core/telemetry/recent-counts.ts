/** How far back a plugin's recent request count looks, in seconds. */
export const RECENT_SECONDS = 60;

/** Counts per second over the last minute, in a ring of one-second slots (the request rate on the card). */
export class RecentCounts {
  private readonly counts = new Uint32Array(RECENT_SECONDS);
  private readonly seconds = new Float64Array(RECENT_SECONDS).fill(-1);

  add(second: number): void {
    const slot = second % RECENT_SECONDS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]++;
  }

  /** The count of `from` and the seconds after it (within the ring). */
  sinceSecond(from: number): number {
    let total = 0;
    for (let slot = 0; slot < RECENT_SECONDS; slot++) if (this.seconds[slot] >= from) total += this.counts[slot];
    return total;
  }
}
