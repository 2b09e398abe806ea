import { PluginError } from '../errors/plugin-error';
import { parseDescriptor } from './plugin-descriptor';

const FILE = 'notes/plugin.json';

function refusal(descriptor: unknown): PluginError {
  const text = typeof descriptor === 'string' ? descriptor : JSON.stringify(descriptor);
  try {
    parseDescriptor(text, FILE);
  } catch (err) {
    if (err instanceof PluginError) return err;
    throw err;
  }
  throw new Error('expected parseDescriptor to refuse the descriptor');
}

const setting = (extra: Record<string, unknown>) => ({ settings: [{ id: 'limit', label: 'Limit', type: 'number', ...extra }] });

describe('parseDescriptor', () => {
  it('reads the full descriptor of the specification', () => {
    const descriptor = {
      id: 'notes',
      name: 'Notes',
      version: '1.2.0',
      host: '^1.0.0',
      dependsOn: { users: '^2.0.0' },
      conflictsWith: ['old-notes'],
      settings: [
        { id: 'limit', label: 'Item limit', type: 'number', default: 5, min: 1, max: 100 },
        { id: 'mode', label: 'Mode', type: 'select', default: 'safe', options: [{ value: 'safe', label: 'Safe' }] },
        { id: 'apiKey', label: 'API key', type: 'secret' },
      ],
      actions: [{ id: 'purge', label: 'Purge old notes', confirm: { title: 'Purge?', message: 'Sure?' } }],
    };
    expect(parseDescriptor(JSON.stringify(descriptor), FILE)).toEqual(descriptor);
  });

  it('accepts an empty object', () => {
    expect(parseDescriptor('{}', FILE)).toEqual({});
  });

  it.each([
    ['text that is not JSON', '{ "id": "notes", }', 'not valid JSON'],
    ['an array', [], 'must be a JSON object'],
    ['a name that is not a string', { name: 3 }, '"name"'],
    ['a version that is not semantic', { version: '1.2' }, '"version"'],
    ['a host that is not a range', { host: 'latest' }, '"host"'],
    ['dependsOn as an array', { dependsOn: ['users'] }, '"dependsOn"'],
    ['a dependency range that is not a range', { dependsOn: { users: 'newest' } }, '"dependsOn.users"'],
    ['conflictsWith with a number', { conflictsWith: [1] }, '"conflictsWith"'],
    ['settings that are not an array', { settings: {} }, '"settings"'],
    ['a setting without an id', { settings: [{ label: 'Limit', type: 'number' }] }, '"settings[0].id"'],
    ['a setting without a label', { settings: [{ id: 'limit', type: 'number' }] }, 'setting "limit" needs a "label"'],
    ['an unknown setting type', setting({ type: 'colour' }), 'setting "limit" has type "colour"'],
    ['a select without options', setting({ type: 'select' }), 'select setting "limit" needs "options"'],
    ['a select with empty options', setting({ type: 'select', options: [] }), 'select setting "limit" needs "options"'],
    ['a bound that is not a number', setting({ max: '100' }), 'setting "limit" "max"'],
    ['a number default written as a string', setting({ default: '20' }), 'setting "limit" has "default": "20"'],
    ['a number default below its min', setting({ default: 0, min: 1 }), 'below "min" 1'],
    ['a boolean default that is a string', { settings: [{ id: 'on', label: 'On', type: 'boolean', default: 'true' }] }, 'setting "on" has "default": "true"'],
    ['a string default that is a number', { settings: [{ id: 'title', label: 'Title', type: 'string', default: 3 }] }, 'setting "title" has "default": 3'],
    ['a select default not among its options', setting({ type: 'select', default: 'fast', options: [{ value: 'safe', label: 'Safe' }] }), 'is not one of its options ("safe")'],
    ['a setting declared twice', { settings: [...setting({}).settings, ...setting({}).settings] }, 'setting "limit" is declared twice'],
    ['an action without a label', { actions: [{ id: 'purge' }] }, 'action "purge" needs a "label"'],
    [
      'an action declared twice',
      {
        actions: [
          { id: 'purge', label: 'P' },
          { id: 'purge', label: 'P' },
        ],
      },
      'action "purge" is declared twice',
    ],
  ])('refuses %s with PLG_INVALID_DESCRIPTOR naming the file and the field', (_, descriptor, field) => {
    const error = refusal(descriptor);
    expect(error.code).toBe('PLG_INVALID_DESCRIPTOR');
    expect(error.message).toContain(FILE);
    expect(error.message).toContain(field);
  });
});
