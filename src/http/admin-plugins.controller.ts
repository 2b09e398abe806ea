import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { readFile, rm } from 'node:fs/promises';
import type { Request } from 'express';
import { DEFAULT_ARCHIVE_LIMITS } from '../archive/archive-limits';
import type { AdminApi } from '../core/admin-api';
import { PluginError } from '../errors/plugin-error';
import { AdminTokenGuard } from './admin-token.guard';
import { APPNEST_HOST } from './host-tokens';
import { StagingUploadStorage, type StoredUpload } from './staging-upload-storage';

const MAX_ACTION_ID_LENGTH = 64;

function actorOf(req: Request): { actor: string; ip: string | null } {
  return { actor: 'admin', ip: req.ip ?? null };
}

@Controller('api/admin')
@UseGuards(AdminTokenGuard)
export class AdminPluginsController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  @Get('plugins')
  list() {
    return this.host.listPlugins();
  }

  @Post('plugins/reload')
  @HttpCode(200)
  reload(@Req() req: Request) {
    return this.host.reload(actorOf(req));
  }

  @Post('plugins/import')
  @UseInterceptors(FileInterceptor('file', { storage: new StagingUploadStorage(), limits: { fileSize: DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes, files: 1 } }))
  async import(@UploadedFile() file: StoredUpload | undefined, @Body() body: { overwrite?: unknown } | undefined, @Req() req: Request) {
    try {
      if (!file) {
        throw new PluginError('PLG_BAD_REQUEST', 'The import needs a zip in the multipart field "file".', { hint: 'curl -F file=@plugin.zip -F overwrite=true ...', details: { field: 'file' } });
      }
      const limit = this.host.config.archiveLimits?.maxArchiveBytes;
      if (limit !== undefined && file.size > limit) {
        throw new PluginError('PLG_ARCHIVE_TOO_LARGE', `The archive '${file.originalname}' is ${file.size} bytes; the limit is ${limit}.`, {
          hint: 'Leave node_modules and build output out of the zip.',
        });
      }
      const overwrite = body?.overwrite === true || body?.overwrite === 'true' || body?.overwrite === '1';
      return await this.host.install(await readFile(file.path), file.originalname, { overwrite, ...actorOf(req) });
    } finally {
      if (file) await rm(file.path, { force: true });
    }
  }

  @Get('plugins/:id')
  one(@Param('id') id: string) {
    return this.host.describePlugin(id);
  }

  @Post('plugins/:id/rollback')
  @HttpCode(200)
  rollback(@Param('id') id: string, @Req() req: Request) {
    return this.host.rollback(id, actorOf(req));
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
    return body.enabled ? this.host.enable(id, { acceptRisk: body.acceptRisk === true, ...actorOf(req) }) : this.host.disable(id, actorOf(req));
  }

  @Put('plugins/:id/settings')
  settings(@Param('id') id: string, @Body() body: { settings?: unknown } | undefined, @Req() req: Request) {
    this.host.plugin(id);
    if (!body || typeof body.settings !== 'object' || body.settings === null || Array.isArray(body.settings)) {
      throw new PluginError('PLG_BAD_REQUEST', `Send the settings of plugin '${id}' as {"settings": {...}}.`, { pluginId: id, details: { field: 'settings' } });
    }
    return this.host.saveSettings(id, body.settings, actorOf(req));
  }

  @Post('plugins/:id/run')
  @HttpCode(200)
  async run(@Param('id') id: string, @Body() body: { action?: unknown; params?: unknown } | undefined, @Req() req: Request) {
    this.host.plugin(id);
    if (typeof body?.action !== 'string' || body.action === '' || body.action.length > MAX_ACTION_ID_LENGTH) {
      throw new PluginError('PLG_BAD_REQUEST', `Name the action of plugin '${id}' to run, in at most ${MAX_ACTION_ID_LENGTH} characters: {"action": "...", "params": {}}.`, {
        pluginId: id,
        details: { field: 'action' },
      });
    }
    return { result: await this.host.runAction(id, body.action, body.params, actorOf(req)) };
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

  @Post('plugins/:id/migrate/redo')
  @HttpCode(200)
  redo(@Param('id') id: string, @Req() req: Request) {
    return this.host.redoMigration(id, actorOf(req));
  }

  @Get('plugins/:id/jobs')
  jobs(@Param('id') id: string) {
    return this.host.jobsOf(id);
  }

  @Get('plugins/:id/jobs/:job')
  job(@Param('id') id: string, @Param('job') jobId: string) {
    return this.host.jobOf(id, jobId);
  }

  @Post('plugins/:id/jobs/:job/retry')
  @HttpCode(200)
  retryJob(@Param('id') id: string, @Param('job') jobId: string, @Req() req: Request) {
    return this.host.retryJob(id, jobId, actorOf(req));
  }

  @Post('plugins/:id/jobs/:job/cancel')
  @HttpCode(200)
  cancelJob(@Param('id') id: string, @Param('job') jobId: string, @Req() req: Request) {
    return this.host.cancelJob(id, jobId, actorOf(req));
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
