export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something truthy (which it returns), or fails after `ms` naming
 * `what`. A probe that throws (a host restarting) counts as not yet; the last error is in the failure.
 */
export async function until<T>(probe: () => Promise<T>, ms = 15_000, what = 'the condition', everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after ${ms} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}
