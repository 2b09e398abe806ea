import { Controller, Get, Inject, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import type { AppnestHost } from '../core/appnest-host';
import { APPNEST_HOST } from '../http/host-tokens';
import { PluginErrorFilter } from '../http/plugin-error.filter';

/** Probes for container orchestrators: no token, no plugin code run. */
@Controller('api/health')
@UseFilters(PluginErrorFilter)
export class HealthController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AppnestHost) {}

  /** The process serves HTTP: restart it when this stops answering. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Send it traffic: 503 while it stops or its database does not answer. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const readiness = await this.host.healthChecks.readiness();
    if (!readiness.ready) res.status(503);
    return { status: readiness.ready ? 'ok' : 'failed', ...(readiness.reason ? { reason: readiness.reason } : {}) };
  }
}
