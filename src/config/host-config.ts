import { resolve } from 'node:path';
import { DEFAULT_ARCHIVE_LIMITS } from '../archive/archive-limits';

/** The host's configuration, read from the environment (docs/configuration.md lists every variable). */
export interface HostConfig {
  port: number;
  /** unset: the embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  pluginsDir: string;
  frontendPluginsDir: string;
  adminToken?: string;
  /** A token that reads GET /metrics and nothing else (else the data folder's metrics-token file, when there is one). */
  metricsToken?: string;
  /** Bound on each plugin lifecycle hook and on a plugin's start. */
  startTimeoutMs: number;
  /** Bound on waiting for the migration lock. */
  migrationLockTimeoutMs: number;
  /** How long a stopping plugin may finish its in-flight requests before it is closed anyway. */
  drainTimeoutMs: number;
  /** How long a stopping plugin waits for its running background jobs (default 30 s). */
  jobDrainTimeoutMs?: number;
  /** How often each instance fails the jobs of instances that stopped beating (default 5 s). */
  jobSuperviseSeconds?: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Limits on uploaded plugin archives (defaults: 20,000 files, 200 MB). */
  archiveLimits?: { maxEntries?: number; maxArchiveBytes?: number; maxTotalBytes?: number };
  /** What an applied migration whose file changed does: `warn` (logged, the plugin starts) or `strict` (PLG_MIGRATION_CHECKSUM, it does not). */
  migrationChecksum?: 'warn' | 'strict';
  /** Refused admin authentications per address per minute before the address gets 429. */
  authFailuresPerMinute: number;
  /** Start with every plugin stopped but listed, their enabled flags untouched (APPNEST_SAFE_MODE=1, `appnest start --safe`). */
  safeMode?: boolean;
  /** Failed starts in a row (thrown, timed out, or the process died in it) after which a plugin is left disabled (default 3). */
  quarantineAfter?: number;
  /** How long a new version is watched after an upgrade before it is kept; 0: not watched (default 10 s). */
  upgradeProbeMs?: number;
  /** Count plugin requests and task runs for GET /metrics (default true; APPNEST_METRICS=0 turns it off). */
  metrics?: boolean;
  /** A block of the event loop at least this long is reported, with the plugin it is blamed on (default 1000; 0 turns the watchdog off). */
  blockedLoopMs?: number;
  /**
   * Attribute stray errors and log lines by the async context of the plugin's request, task, event
   * handler or hook as well as by the stack (APPNEST_ASYNC_ATTRIBUTION=1). Off by default: on
   * Node 20 it costs every plugin request several per cent of CPU.
   */
  asyncAttribution?: boolean;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative whole number, got '${value}'.`);
  return n;
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name} must be 1 or 0 (true or false), got '${value}'.`);
}

/** 0 (off) or at least 100 ms: below that, ordinary work would be reported. */
function blockedLoopMs(value: string | undefined): number {
  const ms = positiveInt(value, 1000, 'APPNEST_BLOCKED_LOOP_MS');
  if (ms !== 0 && ms < 100) throw new Error(`APPNEST_BLOCKED_LOOP_MS must be 0 (no watchdog) or at least 100 (milliseconds), got '${value}'.`);
  return ms;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): HostConfig {
  const logLevel = (env.APPNEST_LOG_LEVEL ?? 'info') as HostConfig['logLevel'];
  const migrationChecksum = (env.APPNEST_MIGRATION_CHECKSUM || 'warn') as NonNullable<HostConfig['migrationChecksum']>;
  if (!['warn', 'strict'].includes(migrationChecksum)) {
    throw new Error(`APPNEST_MIGRATION_CHECKSUM must be warn or strict; got '${migrationChecksum}'.`);
  }
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new Error(`APPNEST_LOG_LEVEL must be one of error, warn, info, debug; got '${logLevel}'.`);
  }
  return {
    port: positiveInt(env.PORT, 3000, 'PORT'),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(cwd, env.APPNEST_DATA_DIR ?? 'data'),
    pluginsDir: resolve(cwd, env.APPNEST_PLUGINS_DIR ?? 'plugins'),
    frontendPluginsDir: resolve(cwd, env.APPNEST_FRONTEND_PLUGINS_DIR ?? 'frontend-plugins'),
    adminToken: env.APPNEST_ADMIN_TOKEN || undefined,
    metricsToken: env.APPNEST_METRICS_TOKEN || undefined,
    startTimeoutMs: positiveInt(env.APPNEST_START_TIMEOUT_MS, 10_000, 'APPNEST_START_TIMEOUT_MS'),
    migrationLockTimeoutMs: positiveInt(env.APPNEST_MIGRATION_LOCK_TIMEOUT_MS, 60_000, 'APPNEST_MIGRATION_LOCK_TIMEOUT_MS'),
    drainTimeoutMs: positiveInt(env.APPNEST_DRAIN_TIMEOUT_MS, 30_000, 'APPNEST_DRAIN_TIMEOUT_MS'),
    jobDrainTimeoutMs: positiveInt(env.APPNEST_JOB_DRAIN_TIMEOUT_MS, 30_000, 'APPNEST_JOB_DRAIN_TIMEOUT_MS'),
    jobSuperviseSeconds: positiveInt(env.APPNEST_JOB_SUPERVISE_SECONDS, 5, 'APPNEST_JOB_SUPERVISE_SECONDS') || 5,
    logLevel,
    archiveLimits: {
      maxEntries: positiveInt(env.APPNEST_ARCHIVE_MAX_FILES, DEFAULT_ARCHIVE_LIMITS.maxEntries, 'APPNEST_ARCHIVE_MAX_FILES'),
      maxArchiveBytes: positiveInt(env.APPNEST_ARCHIVE_MAX_BYTES, 200 * 1024 * 1024, 'APPNEST_ARCHIVE_MAX_BYTES'),
      maxTotalBytes: positiveInt(env.APPNEST_ARCHIVE_MAX_BYTES, 200 * 1024 * 1024, 'APPNEST_ARCHIVE_MAX_BYTES'),
    },
    authFailuresPerMinute: positiveInt(env.APPNEST_AUTH_FAILURES_PER_MINUTE, 20, 'APPNEST_AUTH_FAILURES_PER_MINUTE'),
    migrationChecksum,
    safeMode: flag(env.APPNEST_SAFE_MODE, 'APPNEST_SAFE_MODE'),
    quarantineAfter: positiveInt(env.APPNEST_QUARANTINE_AFTER, 3, 'APPNEST_QUARANTINE_AFTER') || 1,
    upgradeProbeMs: positiveInt(env.APPNEST_UPGRADE_PROBE_MS, 10_000, 'APPNEST_UPGRADE_PROBE_MS'),
    blockedLoopMs: blockedLoopMs(env.APPNEST_BLOCKED_LOOP_MS),
    metrics: env.APPNEST_METRICS === undefined || env.APPNEST_METRICS === '' ? true : flag(env.APPNEST_METRICS, 'APPNEST_METRICS'),
    asyncAttribution: flag(env.APPNEST_ASYNC_ATTRIBUTION, 'APPNEST_ASYNC_ATTRIBUTION'),
  };
}
