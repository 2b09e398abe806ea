import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { AppnestHost } from '../core/appnest-host';
import { PluginError } from '../errors/plugin-error';
import { AdminTokenGuard } from './admin-token.guard';
import { APPNEST_HOST } from './host-tokens';
import { PluginErrorFilter } from './plugin-error.filter';

function actorOf(req: Request): { actor: string; ip: string | null } {
  return { actor: 'admin', ip: req.ip ?? null };
}

@Controller('api/admin')
@UseGuards(AdminTokenGuard)
@UseFilters(PluginErrorFilter)
export class AdminPluginsController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AppnestHost) {}

  @Get('plugins')
  list() {
    return this.host.listPlugins();
  }

  @Post('plugins/reload')
  @HttpCode(200)
  reload(@Req() req: Request) {
    return this.host.reload(actorOf(req));
  }

  @Get('plugins/:id')
  one(@Param('id') id: string) {
    return this.host.describePlugin(id);
  }

  @Post('plugins/:id/enabled')
  @HttpCode(200)
  setEnabled(@Param('id') id: string, @Body() body: { enabled?: unknown; acceptRisk?: unknown } | undefined, @Req() req: Request) {
    if (typeof body?.enabled !== 'boolean') {
      throw new PluginError('PLG_BAD_REQUEST', `"enabled" must be true or false for plugin '${id}'.`, {
        pluginId: id,
        hint: 'Send {"enabled": true, "acceptRisk": true} or {"enabled": false}.',
        details: { field: 'enabled' },
      });
    }
    if (body.acceptRisk !== undefined && typeof body.acceptRisk !== 'boolean') {
      throw new PluginError('PLG_BAD_REQUEST', `"acceptRisk" must be true or false for plugin '${id}'.`, { pluginId: id, details: { field: 'acceptRisk' } });
    }
    return this.host.setEnabled(id, body.enabled, { acceptRisk: body.acceptRisk === true, ...actorOf(req) });
  }

  @Post('migrate')
  @HttpCode(200)
  migrateAll(@Req() req: Request) {
    return this.host.migrate(undefined, actorOf(req));
  }

  @Post('plugins/:id/migrate')
  @HttpCode(200)
  migrate(@Param('id') id: string, @Req() req: Request) {
    return this.host.migrate(id, actorOf(req));
  }

  @Post('plugins/:id/migrate/revert')
  @HttpCode(200)
  revert(@Param('id') id: string, @Body() body: { to?: unknown } | undefined, @Req() req: Request) {
    if (body?.to !== undefined && typeof body.to !== 'string') {
      throw new PluginError('PLG_BAD_REQUEST', `"to" must be a migration name of plugin '${id}'.`, { pluginId: id, details: { field: 'to' } });
    }
    return this.host.revertMigrations(id, body?.to, actorOf(req));
  }

  @Delete('plugins/:id')
  uninstall(@Param('id') id: string, @Query('purge') purge: string | undefined, @Req() req: Request) {
    return this.host.uninstall(id, { purge: purge === 'true' || purge === '1', ...actorOf(req) });
  }

  @Get('audit')
  audit() {
    return this.host.audit.recent();
  }
}
