import { Controller, Get, Inject, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { AdminApi } from '../core/admin-api';
import { MetricsTokenGuard } from './metrics-token.guard';
import { APPNEST_HOST } from './host-tokens';

/** Prometheus scrapes this instance here, with the metrics token (or the admin token). */
@Controller('metrics')
@UseGuards(MetricsTokenGuard)
export class MetricsController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const text = await this.host.metrics.scrape();
    res.setHeader('content-type', this.host.metrics.contentType);
    res.send(text);
  }
}
