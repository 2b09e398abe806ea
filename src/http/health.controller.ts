import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AdminApi } from '../core/admin-api';
import { APPNEST_HOST } from './host-tokens';

/** Probes for container orchestrators: no token, no plugin code run. */
@Controller('api/health')
export class HealthController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

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
