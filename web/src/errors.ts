import { ApiError } from '@appnest/frontend';

/** A message for a person: the server's message and hint, or the error's own message. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const hint = typeof err.body.hint === 'string' ? ` ${err.body.hint}` : '';
    return `${err.message}${hint}`;
  }
  return err instanceof Error ? err.message : String(err);
}
