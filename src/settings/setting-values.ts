/** What the admin UI and the API show in place of a stored secret. */
export const SECRET_MASK = '********';

/** A value that stands for "not set": the setting's default applies. */
export function isBlank(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
