import type { SettingDescriptor } from '../discovery/plugin-descriptor';
import { isBlank } from './setting-values';

/**
 * The settings a plugin reads: every declared setting, its stored value or else its default.
 * Stored keys the schema no longer declares are left out. Nothing is written.
 */
export function withDefaults(schema: SettingDescriptor[], stored: Record<string, unknown> | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const setting of schema) {
    const value = stored?.[setting.id];
    if (!isBlank(value)) out[setting.id] = value;
    else if (setting.default !== undefined) out[setting.id] = setting.default;
  }
  return out;
}
