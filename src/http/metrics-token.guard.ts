import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AdminApi } from '../core/admin-api';
import { tokenMatches } from '../core/admin/admin-token';
import { PluginError } from '../errors/plugin-error';
import { APPNEST_HOST } from './host-tokens';

/** The file in the data folder that holds the metrics token when APPNEST_METRICS_TOKEN is unset. */
export const METRICS_TOKEN_FILE = 'metrics-token';

/**
 * The metrics token: APPNEST_METRICS_TOKEN, else the first line of the data folder's
 * `metrics-token` file, read at each scrape (so it can be replaced without a restart); none when
 * neither is set. It reads GET /metrics and nothing else.
 */
export function metricsToken(host: AdminApi): string | undefined {
  if (host.config.metricsToken) return host.config.metricsToken;
  const file = join(host.config.dataDir, METRICS_TOKEN_FILE);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\n')[0].trim() || undefined;
}

/** GET /metrics: the metrics token or the admin token; refusals are throttled and audited like the admin routes'. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const scraper = metricsToken(this.host);
    if (tokenMatches(this.host.adminToken, presented) || (scraper !== undefined && tokenMatches(scraper, presented))) return true;
    const address = req.ip ?? 'unknown';
    this.host.refusedAuthentications.assertAllowed(address);
    await this.host.refusedAuthentications.refuse(address, `${req.method} ${req.path}`);
    throw new PluginError('PLG_UNAUTHORIZED', presented ? 'The token is neither the metrics token nor the admin token.' : 'GET /metrics needs the metrics token or the admin token.', {
      hint: `Send "Authorization: Bearer <token>"; the metrics token is APPNEST_METRICS_TOKEN or the one in the data folder's ${METRICS_TOKEN_FILE} file.`,
    });
  }
}
