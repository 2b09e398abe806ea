import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { PluginError } from '../errors/plugin-error';

/** The one place that maps host errors to HTTP: `{ statusCode, code, message, pluginId }`. */
@Catch()
export class PluginErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof PluginError) {
      res.status(exception.status).json(exception.toJSON());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      const code = status === 404 ? 'PLG_NOT_FOUND' : status === 401 ? 'PLG_UNAUTHORIZED' : status === 413 ? 'PLG_ARCHIVE_TOO_LARGE' : status < 500 ? 'PLG_BAD_REQUEST' : 'PLG_INTERNAL';
      res.status(status).json({ statusCode: status, code, message: Array.isArray(message) ? message.join('; ') : message });
      return;
    }
    const message = exception instanceof Error ? exception.message : String(exception);
    res.status(500).json({ statusCode: 500, code: 'PLG_INTERNAL', message: `Internal error: ${message}` });
  }
}
