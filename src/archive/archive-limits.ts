/** Bounds a plugin archive must stay within before anything of it is written. */
export interface ArchiveLimits {
  /** Size of the .zip itself. */
  maxArchiveBytes: number;
  maxEntries: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  maxTotalBytes: number;
  /** Uncompressed / compressed size, checked only for entries above `ratioThresholdBytes`. */
  maxCompressionRatio: number;
  ratioThresholdBytes: number;
  maxSegmentBytes: number;
  maxNameBytes: number;
  maxDepth: number;
}

const MB = 1024 * 1024;

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxArchiveBytes: 200 * MB,
  maxEntries: 20000,
  maxTotalBytes: 200 * MB,
  maxCompressionRatio: 100,
  ratioThresholdBytes: MB,
  maxSegmentBytes: 255,
  maxNameBytes: 1024,
  maxDepth: 32,
});

export function resolveArchiveLimits(overrides: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof ArchiveLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`Archive limit ${key} must be a positive number, got ${value}.`);
    limits[key] = value;
  }
  return limits;
}
