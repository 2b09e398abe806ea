import type { SettingDescriptor } from '../discovery/plugin-descriptor';
import { withDefaults } from './with-defaults';

const schema: SettingDescriptor[] = [
  { id: 'limit', label: 'Limit', type: 'number', default: 5 },
  { id: 'mode', label: 'Mode', type: 'select', default: 'safe', options: [{ value: 'safe', label: 'Safe' }] },
  { id: 'debug', label: 'Debug', type: 'boolean', default: true },
  { id: 'apiKey', label: 'API key', type: 'secret' },
];

describe('withDefaults', () => {
  it('gives every setting with a default its default when nothing is stored', () => {
    expect(withDefaults(schema, undefined)).toEqual({ limit: 5, mode: 'safe', debug: true });
  });

  it('prefers the stored value, including false and 0', () => {
    expect(withDefaults(schema, { limit: 0, debug: false, apiKey: 'k' })).toEqual({ limit: 0, mode: 'safe', debug: false, apiKey: 'k' });
  });

  it('falls back to the default for a blank stored value', () => {
    expect(withDefaults(schema, { limit: null, mode: '' })).toEqual({ limit: 5, mode: 'safe', debug: true });
  });

  it('leaves out stored keys the schema no longer declares', () => {
    expect(withDefaults(schema, { removedSetting: 1 })).not.toHaveProperty('removedSetting');
  });

  it('never writes the defaults into the stored object', () => {
    const stored = { limit: 9 };
    withDefaults(schema, stored);
    expect(stored).toEqual({ limit: 9 });
  });
});
