/** Runs state changes one at a time, in the order asked; a failed change does not stop the next. */
export class ChangeQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every change asked so far has ended. */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined);
  }
}
