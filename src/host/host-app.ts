import type { AdminApi } from '../core/admin-api';
import express from 'express';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AdminPluginsController } from '../http/admin-plugins.controller';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { MetricsTokenGuard } from '../http/metrics-token.guard';
import { AssetsController } from '../http/assets.controller';
import { APPNEST_HOST } from '../http/host-tokens';
import { PluginErrorFilter } from '../http/plugin-error.filter';
import { UPLOAD_DIR_LOCAL } from '../http/staging-upload-storage';
import { PublicController } from '../http/public.controller';
import { SpaController } from '../http/spa.controller';
import type { HostLogger } from '../logging/host-logger';
import type { FrontDoor } from '../core/host-adapters';
import type { RequestHandler } from '../core/activation/plugin-activation';
import { MetricsController } from '../http/metrics.controller';
import { HealthController } from '../http/health.controller';
import { PluginLogsController } from '../http/plugin-logs.controller';

@Global()
@Module({})
class HostApiModule {}

/**
 * The host's own Nest application: admin API, health, the SPA's plugin list and assets, the SPA.
 * Built once at start; it reads the core's state on every request, so it never needs a rebuild.
 * Its logger is also every plugin's Nest `Logger` (Nest keeps one per process): `pluginOf` names
 * the plugin a line comes from.
 */
export async function startHostApp(host: AdminApi, { logger, uploadDir, pluginOf }: { logger: HostLogger; uploadDir: string; pluginOf: (cause?: Error) => string | undefined }): Promise<FrontDoor> {
  const server = express();
  server.disable('x-powered-by');
  server.locals[UPLOAD_DIR_LOCAL] = uploadDir;
  const app = await NestFactory.create(
    {
      module: HostApiModule,
      controllers: [HealthController, PublicController, AdminPluginsController, AssetsController, MetricsController, PluginLogsController, SpaController],
      providers: [{ provide: APPNEST_HOST, useValue: host }, AdminTokenGuard, MetricsTokenGuard],
      exports: [APPNEST_HOST],
    },
    new ExpressAdapter(server),
    { logger: logger.forNest(pluginOf), abortOnError: false },
  );
  app.useGlobalFilters(new PluginErrorFilter());
  await app.init();
  return { app, handler: server as unknown as RequestHandler };
}
