import type { SettingDescriptor } from '../discovery/plugin-descriptor';
import { PluginError } from '../errors/plugin-error';
import { validateSettings } from './validate-settings';

const schema: SettingDescriptor[] = [
  { id: 'limit', label: 'Item limit', type: 'number', default: 5, min: 1, max: 100 },
  {
    id: 'mode',
    label: 'Mode',
    type: 'select',
    default: 'safe',
    options: [
      { value: 'safe', label: 'Safe' },
      { value: 'fast', label: 'Fast' },
    ],
  },
  { id: 'enabled', label: 'Enabled', type: 'boolean' },
  { id: 'title', label: 'Title', type: 'string', min: 2, max: 10 },
  { id: 'footer', label: 'Footer', type: 'text' },
  { id: 'apiKey', label: 'API key', type: 'secret' },
];

function refusal(values: unknown, settings = schema): PluginError {
  try {
    validateSettings(settings, values, 'notes');
  } catch (err) {
    if (err instanceof PluginError) return err;
    throw err;
  }
  throw new Error('expected validateSettings to refuse the settings');
}

const errorsOf = (values: unknown, settings = schema) => (refusal(values, settings).details as { errors: unknown[] }).errors;

describe('validateSettings', () => {
  it('returns the settings that are set, in schema order', () => {
    const values = { apiKey: 's3cret', enabled: false, limit: 100, mode: 'fast', title: 'Hi', footer: '' };
    expect(validateSettings(schema, values, 'notes')).toEqual({ limit: 100, mode: 'fast', enabled: false, title: 'Hi', apiKey: 's3cret' });
    expect(Object.keys(validateSettings(schema, values, 'notes'))).toEqual(['limit', 'mode', 'enabled', 'title', 'apiKey']);
  });

  it('accepts an empty object, leaving every setting to its default', () => {
    expect(validateSettings(schema, {}, 'notes')).toEqual({});
  });

  it('treats null and empty values as not set', () => {
    expect(validateSettings(schema, { limit: null, mode: '', title: null }, 'notes')).toEqual({});
  });

  it.each([
    ['a number below min', { limit: 0 }, "'limit' must be at least 1"],
    ['a number above max', { limit: 101 }, "'limit' must be at most 100"],
    ['a number sent as a string', { limit: '5' }, "'limit' must be a number"],
    ['NaN for a number', { limit: Number.NaN }, "'limit' must be a number"],
    ['a select value outside the options', { mode: 'turbo' }, "'mode' must be one of 'safe', 'fast'"],
    ['a boolean sent as a string', { enabled: 'true' }, "'enabled' must be true or false"],
    ['a string shorter than min', { title: 'a' }, "'title' must be at least 2 characters long"],
    ['a string longer than max', { title: 'a'.repeat(11) }, "'title' must be at most 10 characters long"],
    ['a number for a text', { footer: 3 }, "'footer' must be a string"],
    ['an object for a secret', { apiKey: { value: 'x' } }, "'apiKey' must be a string"],
    ['a key the schema does not declare', { colour: 'red' }, "'colour' is not a setting of plugin 'notes'"],
  ])('refuses %s with PLG_SETTINGS_INVALID naming the field and the rule', (_, values, message) => {
    const error = refusal(values);
    expect(error.code).toBe('PLG_SETTINGS_INVALID');
    expect(error.status).toBe(400);
    expect(error.pluginId).toBe('notes');
    expect(error.message).toContain("plugin 'notes'");
    expect(error.message).toContain(message);
    expect(error.details).toEqual({ errors: [{ field: Object.keys(values)[0], message }] });
  });

  it('lists every failing field at once', () => {
    expect(errorsOf({ limit: 500, mode: 'turbo', colour: 'red' })).toEqual([
      { field: 'limit', message: "'limit' must be at most 100" },
      { field: 'mode', message: "'mode' must be one of 'safe', 'fast'" },
      { field: 'colour', message: "'colour' is not a setting of plugin 'notes'" },
    ]);
  });

  it('refuses a required setting left blank when it has no default', () => {
    const settings: SettingDescriptor[] = [{ id: 'apiKey', label: 'API key', type: 'secret', required: true }];
    expect(errorsOf({}, settings)).toEqual([{ field: 'apiKey', message: "'apiKey' is required" }]);
    expect(errorsOf({ apiKey: '' }, settings)).toEqual([{ field: 'apiKey', message: "'apiKey' is required" }]);
  });

  it('accepts a required setting left blank when its default applies', () => {
    const settings: SettingDescriptor[] = [{ id: 'limit', label: 'Limit', type: 'number', required: true, default: 5 }];
    expect(validateSettings(settings, {}, 'notes')).toEqual({});
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'limit=5'],
  ])('refuses %s instead of an object', (_, values) => {
    expect(errorsOf(values)).toEqual([{ field: 'settings', message: "'settings' must be an object mapping setting ids to values" }]);
  });

  it('refuses every key of a plugin that declares no settings', () => {
    expect(errorsOf({ limit: 5 }, [])).toEqual([{ field: 'limit', message: "'limit' is not a setting of plugin 'notes'" }]);
  });
});
