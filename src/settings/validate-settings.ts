/** class-validator, loaded on the first settings save rather than at every start. */
const validators = (): typeof import('class-validator') => require('class-validator');
import type { SettingDescriptor, SettingType } from '../discovery/plugin-descriptor';
import { PluginError } from '../errors/plugin-error';
import { isBlank, isRecord } from './setting-values';

export interface SettingError {
  field: string;
  message: string;
}

/** Returns what is wrong with a value that is not blank, or undefined when it is fine. */
type Rule = (value: unknown, setting: SettingDescriptor) => string | undefined;

const textRules: Rule[] = [
  (v) => (validators().isString(v) ? undefined : 'must be a string'),
  (v, s) => (s.min !== undefined && !validators().minLength(v, s.min) ? `must be at least ${s.min} characters long` : undefined),
  (v, s) => (s.max !== undefined && !validators().maxLength(v, s.max) ? `must be at most ${s.max} characters long` : undefined),
];

const RULES: Record<SettingType, Rule[]> = {
  boolean: [(v) => (validators().isBoolean(v) ? undefined : 'must be true or false')],
  number: [
    (v) => (validators().isNumber(v, { allowNaN: false, allowInfinity: false }) ? undefined : 'must be a number'),
    (v, s) => (s.min !== undefined && !validators().min(v, s.min) ? `must be at least ${s.min}` : undefined),
    (v, s) => (s.max !== undefined && !validators().max(v, s.max) ? `must be at most ${s.max}` : undefined),
  ],
  string: textRules,
  text: textRules,
  secret: textRules,
  select: [
    (v, s) => {
      const values = (s.options ?? []).map((o) => o.value);
      return validators().isIn(v, values) ? undefined : `must be one of ${values.map((value) => `'${value}'`).join(', ')}`;
    },
  ],
};

function checkSetting(setting: SettingDescriptor, value: unknown): string | undefined {
  if (isBlank(value)) return setting.required && setting.default === undefined ? 'is required' : undefined;
  for (const rule of RULES[setting.type]) {
    const problem = rule(value, setting);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Checks a whole settings object against the plugin.json schema and returns what to store: the
 * declared settings that are set, in schema order. A blank value (undefined, null, '') means "use
 * the default". Throws PLG_SETTINGS_INVALID listing every failing field.
 */
export function validateSettings(schema: SettingDescriptor[], values: unknown, pluginId: string): Record<string, unknown> {
  const errors: SettingError[] = [];
  const out: Record<string, unknown> = {};
  if (!isRecord(values)) {
    errors.push({ field: 'settings', message: "'settings' must be an object mapping setting ids to values" });
  } else {
    for (const setting of schema) {
      const problem = checkSetting(setting, values[setting.id]);
      if (problem) errors.push({ field: setting.id, message: `'${setting.id}' ${problem}` });
      else if (!isBlank(values[setting.id])) out[setting.id] = values[setting.id];
    }
    const declared = new Set(schema.map((s) => s.id));
    for (const key of Object.keys(values).filter((k) => !declared.has(k))) {
      errors.push({ field: key, message: `'${key}' is not a setting of plugin '${pluginId}'` });
    }
  }
  if (errors.length) {
    throw new PluginError('PLG_SETTINGS_INVALID', `Settings of plugin '${pluginId}' are not valid: ${errors.map((e) => e.message).join('; ')}.`, {
      pluginId,
      hint: 'Fix the fields listed in "errors"; the stored settings were not changed.',
      details: { errors },
    });
  }
  return out;
}
