import { randomUUID } from 'node:crypto';

/** One job as pg-boss's `insert` takes it, with the id the host gives it up front. */
export interface JobRow {
  id: string;
  data: object;
  priority?: number;
  /** Seconds from the database's now, as text (`'30'`), as pg-boss's own `send` passes it. */
  startAfter?: string;
  singletonKey?: string;
  singletonSeconds?: number;
}

/**
 * Writes jobs of one queue in one statement and answers which ids went in (a singleton key already
 * taken in its slot inserts nothing). Rejects when the statement fails: then none went in.
 */
export type JobWriter = (queue: string, rows: JobRow[]) => Promise<Set<string>>;

interface Pending {
  row: JobRow;
  resolve: (id: string | null) => void;
  reject: (err: unknown) => void;
}

interface QueueLane {
  waiting: Pending[];
  inFlight: number;
  scheduled: boolean;
  /** Singleton slots written by the statements in flight. */
  slots: Set<string>;
}

/** The slot a singleton job takes; none for other jobs. */
const slotOf = (row: JobRow): string | undefined => (row.singletonKey === undefined ? undefined : `${row.singletonSeconds ?? ''}:${row.singletonKey}`);

export interface SendBatcherOptions {
  /** Most jobs in one statement. */
  maxBatch: number;
  /** Statements of one queue in flight at once; sends made meanwhile wait for the next one. */
  maxInFlight: number;
}

/**
 * Coalesces the sends of one queue into multi-row inserts, as a DataLoader does: the sends made in
 * one turn of the event loop, and those made while the queue's statements are in flight, go in the
 * next statement, in the order they were made. Each caller still gets its own answer: its job id,
 * or null when its singleton key already holds a job in the slot. When a statement fails, each of
 * its jobs is written again alone, so a bad job fails its own send and no other.
 */
export class SendBatcher {
  private readonly lanes = new Map<string, QueueLane>();

  constructor(
    private readonly write: JobWriter,
    private readonly options: SendBatcherOptions = { maxBatch: 500, maxInFlight: 2 },
  ) {}

  /** Queues `row` (without an id: one is given here) for the next statement of `queue`. */
  send(queue: string, row: Omit<JobRow, 'id'>): Promise<string | null> {
    let lane = this.lanes.get(queue);
    if (!lane) {
      lane = { waiting: [], inFlight: 0, scheduled: false, slots: new Set() };
      this.lanes.set(queue, lane);
    }
    const promise = new Promise<string | null>((resolve, reject) => lane.waiting.push({ row: { id: randomUUID(), ...row }, resolve, reject }));
    this.schedule(queue, lane);
    return promise;
  }

  /** Sends not yet answered, all queues together. */
  pending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiting.length + lane.inFlight;
    return n;
  }

  /** A flush after the current turn (so the sends made in it join), if a statement may start. */
  private schedule(queue: string, lane: QueueLane): void {
    if (lane.scheduled || lane.inFlight >= this.options.maxInFlight || lane.waiting.length === 0) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      void this.flush(queue, lane);
    });
  }

  private async flush(queue: string, lane: QueueLane): Promise<void> {
    const batch = this.take(lane);
    if (batch.length === 0) return;
    const slots = batch.map((p) => slotOf(p.row)).filter((slot) => slot !== undefined);
    for (const slot of slots) lane.slots.add(slot);
    lane.inFlight++;
    // More than a statement's worth waits for a free slot, not for this statement to end.
    this.schedule(queue, lane);
    try {
      await this.settle(queue, batch);
    } finally {
      lane.inFlight--;
      for (const slot of slots) lane.slots.delete(slot);
      if (lane.waiting.length === 0 && lane.inFlight === 0 && !lane.scheduled) this.lanes.delete(queue);
      else this.schedule(queue, lane);
    }
  }

  /**
   * The next statement's jobs, in the order they were sent. A singleton job whose slot is already
   * in it, or in a statement in flight, waits for a later one: which of two sends of one slot
   * gets the job is then decided by the order they were made (rows of one statement are not
   * written in a set order).
   */
  private take(lane: QueueLane): Pending[] {
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const taken = new Set<string>();
    for (const p of lane.waiting) {
      const slot = slotOf(p.row);
      if (batch.length >= this.options.maxBatch || (slot !== undefined && (taken.has(slot) || lane.slots.has(slot)))) {
        later.push(p);
        continue;
      }
      if (slot !== undefined) taken.add(slot);
      batch.push(p);
    }
    lane.waiting = later;
    return batch;
  }

  private async settle(queue: string, batch: Pending[]): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = await this.write(
        queue,
        batch.map((p) => p.row),
      );
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // The statement inserted nothing: each job alone tells whose job was bad.
      await Promise.all(batch.map((p) => this.settle(queue, [p])));
      return;
    }
    for (const p of batch) p.resolve(inserted.has(p.row.id) ? p.row.id : null);
  }
}
