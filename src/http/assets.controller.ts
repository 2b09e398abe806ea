import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AdminApi } from '../core/admin-api';
import { PLUGIN_ID_PATTERN } from '../discovery/plugin-id';
import { PluginError } from '../errors/plugin-error';
import { cacheControlOf } from '../frontend/content-types';
import { manifestReader } from '../frontend/manifest-reader';
import { decodeRequestPath, encodedPathAfter } from '../frontend/request-path';
import { openInside } from '../frontend/safe-file';
import { sendOpenedFile } from '../frontend/static-file';
import { APPNEST_HOST } from './host-tokens';

const PREFIX = '/api/plugins/assets/';
const HINT = "Only files listed in an active plugin's Vite manifest are served; enable the plugin and check the path against its manifest.";

function notFound(id: string | undefined, what: string): PluginError {
  const known = id !== undefined && PLUGIN_ID_PATTERN.test(id);
  return new PluginError('PLG_NOT_FOUND', known ? `Plugin '${id}' ${what}.` : `No plugin frontend file at that path.`, {
    pluginId: known ? id : undefined,
    hint: HINT,
  });
}

/** `GET /api/plugins/assets/<id>/<path>`: the files an active plugin's manifest lists, and nothing else. */
@Controller('api/plugins/assets')
export class AssetsController {
  constructor(@Inject(APPNEST_HOST) private readonly host: AdminApi) {}

  @Get(':id{/*path}')
  serve(@Req() req: Request, @Res() res: Response): void {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const segments = decodeRequestPath(encodedPathAfter(req.originalUrl, PREFIX) ?? '');
    const [id, ...path] = segments ?? [];
    if (!segments || path.length === 0) throw notFound(id, 'serves no frontend file at that path');
    const entry = this.host.findPlugin(id);
    const plugin = entry?.discovered;
    if (!entry || entry.state !== 'active' || !plugin?.frontendRoot) throw notFound(id, 'is not an active plugin with a frontend');
    const manifest = manifestReader.read(plugin)?.manifest;
    const file = manifest?.lists(path.join('/')) ? openInside(plugin.frontendRoot, path) : undefined;
    if (!file) throw notFound(id, 'serves no frontend file at that path');
    sendOpenedFile(req, res, file, path.join('/'), cacheControlOf(path[path.length - 1]));
  }
}
