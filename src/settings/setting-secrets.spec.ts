import type { SettingDescriptor } from '../discovery/plugin-descriptor';
import { maskSecrets, mergeSecrets } from './setting-secrets';
import { SECRET_MASK } from './setting-values';

const schema: SettingDescriptor[] = [
  { id: 'limit', label: 'Limit', type: 'number' },
  { id: 'apiKey', label: 'API key', type: 'secret' },
  { id: 'token', label: 'Token', type: 'secret' },
];

describe('maskSecrets', () => {
  it('replaces every secret that is set with the mask and leaves other settings alone', () => {
    expect(maskSecrets(schema, { limit: 5, apiKey: 's3cret', token: 't0ken' })).toEqual({ limit: 5, apiKey: SECRET_MASK, token: SECRET_MASK });
  });

  it('leaves an empty or missing secret as it is, so the admin sees it is unset', () => {
    expect(maskSecrets(schema, { apiKey: '' })).toEqual({ apiKey: '' });
    expect(maskSecrets(schema, {})).toEqual({});
  });

  it('returns a copy and never changes the stored values', () => {
    const stored = { apiKey: 's3cret' };
    maskSecrets(schema, stored);
    expect(stored).toEqual({ apiKey: 's3cret' });
  });

  it('uses eight asterisks as the mask', () => {
    expect(SECRET_MASK).toBe('********');
  });
});

describe('mergeSecrets', () => {
  it('keeps the stored value of a secret sent back as the mask', () => {
    expect(mergeSecrets(schema, { limit: 7, apiKey: SECRET_MASK }, { limit: 5, apiKey: 's3cret' })).toEqual({ limit: 7, apiKey: 's3cret' });
  });

  it('takes a new secret value as sent', () => {
    expect(mergeSecrets(schema, { apiKey: 'n3w' }, { apiKey: 's3cret' })).toEqual({ apiKey: 'n3w' });
  });

  it('clears a secret sent as empty', () => {
    expect(mergeSecrets(schema, { apiKey: '' }, { apiKey: 's3cret' })).toEqual({ apiKey: '' });
  });

  it('leaves a secret unset when the mask comes back for a secret that was never stored', () => {
    expect(mergeSecrets(schema, { apiKey: SECRET_MASK }, undefined)).toEqual({});
  });

  it('does not treat the mask as special for a setting that is not secret', () => {
    expect(mergeSecrets(schema, { limit: SECRET_MASK }, { limit: 5 })).toEqual({ limit: SECRET_MASK });
  });

  it('returns anything that is not an object as it is, for validation to refuse', () => {
    expect(mergeSecrets(schema, ['x'], {})).toEqual(['x']);
  });

  it('does not change the incoming object', () => {
    const incoming = { apiKey: SECRET_MASK };
    mergeSecrets(schema, incoming, { apiKey: 's3cret' });
    expect(incoming).toEqual({ apiKey: SECRET_MASK });
  });
});
