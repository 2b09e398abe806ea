import { ERROR_CODES, type ErrorCode } from './error-codes';

export interface PluginErrorOptions {
  pluginId?: string;
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable detail returned with the error (per-field errors, both owners, ...). */
  details?: Record<string, unknown>;
}

/** The one error type of the host: a stable code, the plugin it concerns, and what to do. */
export class PluginError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly pluginId?: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PluginErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PluginError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.pluginId = options.pluginId;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      statusCode: this.status,
      code: this.code,
      message: this.message,
      ...(this.pluginId ? { pluginId: this.pluginId } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...this.details,
    };
  }
}

/** Wraps anything thrown into a PluginError, keeping the original as `cause`. */
export function toPluginError(err: unknown, fallback: ErrorCode, pluginId?: string, context?: string): PluginError {
  if (err instanceof PluginError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  const subject = pluginId ? `Plugin '${pluginId}'` : 'The host';
  return new PluginError(fallback, `${subject} ${context ?? 'failed'}: ${reason}`, { pluginId, cause: err });
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
