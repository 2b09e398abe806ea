import { cacheControlOf, contentTypeOf, IMMUTABLE, isHashedName } from './content-types';

describe('isHashedName', () => {
  it.each(['index-BZx3k1Qa.js', 'assets/index-DiwrgTda.css', 'index-B-x_9aQz.js', 'app.3f2a9b1c.js', 'logo-Zk3mQ9aB.svg', 'inter-latin-400-normal-Aa11Bb22.woff2'])(
    'takes %s for a content-hashed name',
    (name) => expect(isHashedName(name)).toBe(true),
  );

  it.each(['index.js', 'index-abc123.js', 'my-component.js', 'My-Component.js', 'jquery-3.7.1.min.js', 'data.json', 'assets-12345678/index.js', 'index-abcdefgh.js'])(
    'does not take %s for one',
    (name) => expect(isHashedName(name)).toBe(false),
  );

  it('caches hashed names for a year and revalidates the others', () => {
    expect(cacheControlOf('index-BZx3k1Qa.js')).toBe(IMMUTABLE);
    expect(cacheControlOf('index.html')).toBe('no-cache');
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['a.js', 'text/javascript; charset=utf-8'],
    ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.css', 'text/css; charset=utf-8'],
    ['a.svg', 'image/svg+xml'],
    ['a.PNG', 'image/png'],
    ['a.woff2', 'font/woff2'],
    ['a.json', 'application/json; charset=utf-8'],
    ['a.unknown', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('serves %s as %s', (name, type) => expect(contentTypeOf(name)).toBe(type));
});
