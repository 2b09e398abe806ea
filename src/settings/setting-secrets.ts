import type { SettingDescriptor } from '../discovery/plugin-descriptor';
import { SECRET_MASK, isBlank, isRecord } from './setting-values';

const secretIds = (schema: SettingDescriptor[]) => schema.filter((s) => s.type === 'secret').map((s) => s.id);

/** A copy of `values` with every secret that is set replaced by the mask. */
export function maskSecrets(schema: SettingDescriptor[], values: Record<string, unknown>): Record<string, unknown> {
  const out = { ...values };
  for (const id of secretIds(schema)) if (!isBlank(out[id])) out[id] = SECRET_MASK;
  return out;
}

/**
 * The admin UI only ever sees the mask, so a secret sent back as the mask keeps its stored value
 * (or stays unset). Anything that is not an object is returned as it is, for validation to refuse.
 */
export function mergeSecrets(schema: SettingDescriptor[], incoming: unknown, stored: Record<string, unknown> | undefined): unknown {
  if (!isRecord(incoming)) return incoming;
  const out = { ...incoming };
  for (const id of secretIds(schema)) {
    if (out[id] !== SECRET_MASK) continue;
    const kept = stored?.[id];
    if (isBlank(kept)) delete out[id];
    else out[id] = kept;
  }
  return out;
}
