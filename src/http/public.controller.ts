import { Controller, Get, Inject } from '@nestjs/common';
import type { AdminApi } from '../core/admin-api';
import { APPNEST_HOST } from './host-tokens';

@Controller('api')
export class PublicController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  @Get('health')
  health() {
    return this.host.health();
  }

  @Get('plugins')
  frontends() {
    return this.host.frontendPlugins();
  }
}
