import { Body, Controller, Get, HttpCode, Inject, Param, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AdminApi } from '../core/admin-api';
import { PluginError } from '../errors/plugin-error';
import { AdminTokenGuard } from './admin-token.guard';
import { APPNEST_HOST } from './host-tokens';
import { PLUGIN_LOG_LINES } from '../core/telemetry/plugin-log-buffer';

/** A plugin's last log lines, followed live over server-sent events, and its log level. */
@Controller('api/admin/plugins')
@UseGuards(AdminTokenGuard)
export class PluginLogsController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  @Get(':id/logs')
  logs(@Param('id') id: string, @Query('lines') lines: string | undefined, @Query('follow') follow: string | undefined, @Req() req: Request, @Res() res: Response): void {
    this.host.plugin(id);
    const count = lines === undefined ? PLUGIN_LOG_LINES : Number(lines);
    if (!Number.isInteger(count) || count < 0 || count > PLUGIN_LOG_LINES) {
      throw new PluginError('PLG_BAD_REQUEST', `'lines' must be a whole number from 0 to ${PLUGIN_LOG_LINES}, got '${lines}'.`, { pluginId: id, details: { field: 'lines' } });
    }
    const recent = this.host.pluginLogs.last(id, count);
    if (follow !== '1' && follow !== 'true') {
      res.json({ id, logLevel: this.host.logLevelOf(id), lines: recent });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    // The client learns the stream is open now, not at the plugin's next line.
    res.flushHeaders();
    const send = (line: string) => res.write(`data: ${line.replace(/\n/g, '\ndata: ')}\n\n`);
    for (const line of recent) send(line);
    const stop = this.host.pluginLogs.follow(id, send, () => res.end());
    req.once('close', stop);
  }

  @Put(':id/log-level')
  @HttpCode(200)
  setLogLevel(@Param('id') id: string, @Body() body: { level?: unknown } | undefined) {
    return this.host.setLogLevel(id, body?.level === undefined ? undefined : body.level);
  }
}
