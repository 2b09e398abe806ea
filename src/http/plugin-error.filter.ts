import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { ErrorCode } from '../errors/error-codes';
import { PluginError } from '../errors/plugin-error';

function codeOf(status: number): ErrorCode {
  if (status === 404 || status === 405) return 'PLG_NOT_FOUND';
  if (status === 401) return 'PLG_UNAUTHORIZED';
  if (status === 413) return 'PLG_REQUEST_TOO_LARGE';
  if (status === 429) return 'PLG_RATE_LIMITED';
  return status < 500 ? 'PLG_BAD_REQUEST' : 'PLG_INTERNAL';
}

/** An error from Express or its body parsers (http-errors): a status of its own, and a message meant for clients. */
function expressStatusOf(exception: unknown): number | undefined {
  const status = (exception as { status?: unknown; expose?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (exception as { expose?: unknown }).expose === true ? status : undefined;
}

/** true when a database error (TypeORM's QueryFailedError, pg's DatabaseError) is among the causes: its text is not for clients. */
function fromDatabase(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if (at.name === 'QueryFailedError' || at.constructor.name === 'DatabaseError') return true;
  }
  return false;
}

/**
 * The one place that maps host errors to HTTP: `{ statusCode, code, message, pluginId }`, for
 * every error the host's own application answers (unknown routes and body parser errors too).
 * Anything unexpected is logged here and answered without its text, which may be a database's.
 */
@Catch()
export class PluginErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof PluginError) {
      // The host's own database failures; a plugin's failing migration keeps its text, which its author needs.
      if (exception.code === 'PLG_INTERNAL' && fromDatabase(exception)) {
        this.logger.error(`${exception.code}: ${exception.message}`);
        const subject = exception.pluginId ? `Plugin '${exception.pluginId}'` : 'The host';
        res.status(exception.status).json({ ...exception.toJSON(), message: `${subject}: a database statement failed; the host log has the details.` });
        return;
      }
      res.status(exception.status).json(exception.toJSON());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      // multer's cut-off of an upload past the archive size limit, while it streams.
      const code = status === 413 && message === 'File too large' ? 'PLG_ARCHIVE_TOO_LARGE' : codeOf(status);
      res.status(status).json({ statusCode: status, code, message: Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : JSON.stringify(message) });
      return;
    }
    const status = expressStatusOf(exception);
    if (status) {
      res.status(status).json({ statusCode: status, code: codeOf(status), message: (exception as Error).message });
      return;
    }
    this.logger.error(`Unexpected error: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    res.status(500).json({ statusCode: 500, code: 'PLG_INTERNAL', message: 'Internal error; the host log has the details.' });
  }
}
