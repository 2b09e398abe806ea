import { releaseAfter } from './host-database';

describe('releaseAfter', () => {
  it('keeps the original error when the cleanup after it fails too', async () => {
    const work = Promise.reject(new Error('migration 002 failed: relation "x" does not exist'));
    await expect(releaseAfter(work, () => Promise.reject(new Error('Query runner already released')))).rejects.toThrow('migration 002 failed');
  });

  it('runs the cleanup once after success and reports its failure', async () => {
    let cleanups = 0;
    expect(
      await releaseAfter(Promise.resolve(42), async () => {
        cleanups++;
      }),
    ).toBe(42);
    expect(cleanups).toBe(1);
    await expect(releaseAfter(Promise.resolve(1), () => Promise.reject(new Error('unlock failed')))).rejects.toThrow('unlock failed');
  });
});
