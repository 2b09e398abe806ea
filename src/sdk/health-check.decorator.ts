import { SetMetadata } from '@nestjs/common';

export const HEALTH_CHECK_METADATA = 'appnest:health-check';

/** `ok`: serving as meant; `degraded`: serving, with a part missing; `failed`: not serving its purpose. */
export type HealthStatus = 'ok' | 'degraded' | 'failed';

/** What a health check answers: a status and, unless `ok`, why. */
export interface HealthCheckResult {
  status: HealthStatus;
  reason?: string;
}

export interface HealthCheckOptions {
  /** A check that has not answered after this many milliseconds counts as failed (default 2000). */
  timeoutMs?: number;
}

export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 2000;

/**
 * Marks a provider method as the plugin's health check, run on every `GET /api/health`. It
 * answers a `HealthCheckResult`, `true` (ok) or `false` (failed), or nothing (ok); a throw or a
 * timeout makes the plugin `failed` with the error's message as the reason.
 */
export function HealthCheck(options: HealthCheckOptions = {}): MethodDecorator {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError('@HealthCheck({ timeoutMs }) needs a positive whole number of milliseconds.');
  return SetMetadata(HEALTH_CHECK_METADATA, { timeoutMs });
}
