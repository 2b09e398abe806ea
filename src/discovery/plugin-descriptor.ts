import validRange from 'semver/ranges/valid';
import { PluginError } from '../errors/plugin-error';

import type { ActionDescriptor, SettingDescriptor, SettingType } from '../contracts/plugin-view';

export type { ActionDescriptor, SettingDescriptor, SettingOption, SettingType } from '../contracts/plugin-view';
export const SETTING_TYPES: readonly SettingType[] = ['boolean', 'number', 'string', 'text', 'select', 'secret'];

/** plugin.json, as read without running any plugin code. */
export interface PluginDescriptor {
  id?: string;
  name?: string;
  version?: string;
  description?: string;
  author?: string;
  license?: string;
  homepage?: string;
  host?: string;
  dependsOn?: Record<string, string>;
  conflictsWith?: string[];
  settings?: SettingDescriptor[];
  actions?: ActionDescriptor[];
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function fail(file: string, problem: string): never {
  throw new PluginError('PLG_INVALID_DESCRIPTOR', `${file}: ${problem}`, {
    hint: 'Fix plugin.json; see the descriptor reference in docs/backend-plugins.md.',
  });
}

function optionalString(obj: Record<string, unknown>, key: string, file: string): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'string') fail(file, `"${key}" must be a string`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks plugin.json text. Throws PLG_INVALID_DESCRIPTOR naming the file and the field. */
export function parseDescriptor(text: string, file: string): PluginDescriptor {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(file, `not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw)) fail(file, 'must be a JSON object');
  for (const key of ['id', 'name', 'description', 'author', 'license', 'homepage', 'host']) {
    optionalString(raw, key, file);
  }
  if (raw.version !== undefined && (typeof raw.version !== 'string' || !SEMVER.test(raw.version))) {
    fail(file, `"version" must be a semantic version such as 1.2.0`);
  }
  if (typeof raw.host === 'string' && !validRange(raw.host)) fail(file, `"host" must be a version range such as ^1.0.0`);
  if (raw.dependsOn !== undefined) {
    if (!isRecord(raw.dependsOn)) fail(file, '"dependsOn" must map plugin ids to version ranges');
    for (const [dep, range] of Object.entries(raw.dependsOn)) {
      if (typeof range !== 'string' || !validRange(range)) fail(file, `"dependsOn.${dep}" must be a version range such as ^1.0.0`);
    }
  }
  if (raw.conflictsWith !== undefined) {
    if (!Array.isArray(raw.conflictsWith) || raw.conflictsWith.some((c) => typeof c !== 'string')) {
      fail(file, '"conflictsWith" must be an array of plugin ids');
    }
  }
  if (raw.settings !== undefined) checkSettings(raw.settings, file);
  if (raw.actions !== undefined) checkActions(raw.actions, file);
  return raw as PluginDescriptor;
}

function checkSettings(settings: unknown, file: string): void {
  if (!Array.isArray(settings)) fail(file, '"settings" must be an array');
  const seen = new Set<string>();
  settings.forEach((s, i) => {
    if (!isRecord(s) || typeof s.id !== 'string' || !s.id) fail(file, `"settings[${i}].id" must be a non-empty string`);
    if (seen.has(s.id)) fail(file, `setting "${s.id}" is declared twice`);
    seen.add(s.id);
    if (typeof s.label !== 'string') fail(file, `setting "${s.id}" needs a "label"`);
    if (!SETTING_TYPES.includes(s.type as SettingType)) {
      fail(file, `setting "${s.id}" has type ${JSON.stringify(s.type)}; use one of ${SETTING_TYPES.join(', ')}`);
    }
    if (s.type === 'select') {
      const options = s.options;
      if (!Array.isArray(options) || options.length === 0 || options.some((o) => !isRecord(o) || typeof o.value !== 'string')) {
        fail(file, `select setting "${s.id}" needs "options": [{ "value", "label" }]`);
      }
    }
    for (const bound of ['min', 'max'] as const) {
      if (s[bound] !== undefined && typeof s[bound] !== 'number') fail(file, `setting "${s.id}" "${bound}" must be a number`);
    }
    const problem = s.default === undefined ? undefined : defaultProblem(s as unknown as SettingDescriptor);
    if (problem) fail(file, `setting "${s.id}" has "default": ${JSON.stringify(s.default)}, which ${problem}`);
  });
}

/**
 * What is wrong with a setting's default for its type, or undefined. A default the settings form
 * would refuse must not reach the plugin as its value, so the descriptor is refused instead.
 */
function defaultProblem(s: SettingDescriptor): string | undefined {
  const value = s.default;
  switch (s.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not true or false';
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `is not a number (write it without quotes)`;
      if (s.min !== undefined && value < s.min) return `is below "min" ${s.min}`;
      if (s.max !== undefined && value > s.max) return `is above "max" ${s.max}`;
      return undefined;
    case 'select': {
      const values = (s.options ?? []).map((o) => o.value);
      return values.includes(value as string) ? undefined : `is not one of its options (${values.map((v) => JSON.stringify(v)).join(', ')})`;
    }
    default:
      return typeof value === 'string' ? undefined : 'is not a string';
  }
}

function checkActions(actions: unknown, file: string): void {
  if (!Array.isArray(actions)) fail(file, '"actions" must be an array');
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (!isRecord(a) || typeof a.id !== 'string' || !a.id) fail(file, `"actions[${i}].id" must be a non-empty string`);
    if (seen.has(a.id)) fail(file, `action "${a.id}" is declared twice`);
    seen.add(a.id);
    if (typeof a.label !== 'string') fail(file, `action "${a.id}" needs a "label"`);
  });
}
