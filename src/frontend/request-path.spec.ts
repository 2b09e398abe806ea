import { decodeRequestPath, encodedPathAfter } from './request-path';

describe('decodeRequestPath', () => {
  it('decodes each segment once', () => {
    expect(decodeRequestPath('notes/assets/index-BZx3k1Qa.js')).toEqual(['notes', 'assets', 'index-BZx3k1Qa.js']);
    expect(decodeRequestPath('notes/assets/a%20b.js')).toEqual(['notes', 'assets', 'a b.js']);
    expect(decodeRequestPath('')).toEqual([]);
  });

  it.each([
    'notes/../secret',
    'notes/%2e%2e/secret',
    'notes/%2E%2E/secret',
    'notes/.%2e/secret',
    'notes/assets%2f..%2f..%2fplugin.json',
    'notes/assets%2Findex.js',
    'notes/assets\\..\\plugin.json',
    'notes/assets%5c..%5cplugin.json',
    'notes/%252e%252e/secret',
    'notes/.env',
    'notes/.vite/manifest.json',
    'notes//index.js',
    'notes/assets/%ZZ.js',
    'notes/assets/a%00.js',
    'notes/./index.js',
  ])('refuses %s', (path) => expect(decodeRequestPath(path)).toBeUndefined());
});

describe('encodedPathAfter', () => {
  it('keeps the encoding and drops the query', () => {
    expect(encodedPathAfter('/api/plugins/assets/notes/%2e%2e/x?y=1', '/api/plugins/assets/')).toBe('notes/%2e%2e/x');
    expect(encodedPathAfter('/other', '/api/plugins/assets/')).toBeUndefined();
  });
});
