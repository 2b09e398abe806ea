import { FrontendManifest, FrontendManifestError, isContainedPath } from './frontend-manifest';

const VITE_MANIFEST = {
  '_shared-Cx81aa0P.js': { file: 'assets/shared-Cx81aa0P.js', name: 'shared', css: ['assets/shared-Q1w2e3R4.css'] },
  'src/main.ts': {
    file: 'assets/main-B9x2LkQe.js',
    name: 'main',
    src: 'src/main.ts',
    isEntry: true,
    imports: ['_shared-Cx81aa0P.js'],
    dynamicImports: ['src/lazy.ts'],
    css: ['assets/main-D0cA7e1f.css'],
    assets: ['assets/logo-Zk3mQ9aB.svg'],
  },
  'src/lazy.ts': { file: 'assets/lazy-Ee44Ff55.js', isDynamicEntry: true, assets: ['assets/font-Aa11Bb22.woff2'] },
  'src/unused.ts': { file: 'assets/unused-Hh66Jj77.js' },
};

const parse = (value: unknown) => FrontendManifest.parse(typeof value === 'string' ? value : JSON.stringify(value), 'frontend/manifest.json');

describe('FrontendManifest', () => {
  it('finds the entry and its CSS', () => {
    const manifest = parse(VITE_MANIFEST);
    expect(manifest.entry).toBe('assets/main-B9x2LkQe.js');
    expect(manifest.css).toEqual(['assets/main-D0cA7e1f.css']);
  });

  it('lists the files reachable from the entry: imports, dynamic imports, CSS and assets', () => {
    expect([...parse(VITE_MANIFEST).files].sort()).toEqual([
      'assets/font-Aa11Bb22.woff2',
      'assets/lazy-Ee44Ff55.js',
      'assets/logo-Zk3mQ9aB.svg',
      'assets/main-B9x2LkQe.js',
      'assets/main-D0cA7e1f.css',
      'assets/shared-Cx81aa0P.js',
      'assets/shared-Q1w2e3R4.css',
    ]);
    expect(parse(VITE_MANIFEST).lists('assets/unused-Hh66Jj77.js')).toBe(false);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parse('{ not json')).toThrow(FrontendManifestError);
    expect(() => parse('{ not json')).toThrow(/frontend\/manifest\.json is not valid JSON/);
    expect(() => parse('[]')).toThrow(/must be a JSON object/);
  });

  it('refuses a manifest without an entry', () => {
    expect(() => parse({ 'a.ts': { file: 'assets/a.js' } })).toThrow(/no chunk with "isEntry": true/);
  });

  it('refuses a chunk that points outside the frontend folder', () => {
    for (const file of ['../plugin.json', '/etc/passwd', 'assets/../../x.js', 'assets\\..\\x.js', 'C:/x.js', 'a//b.js']) {
      expect(() => parse({ 'main.ts': { file, isEntry: true } })).toThrow(/outside the frontend folder/);
    }
    expect(() => parse({ 'main.ts': { file: 'a.js', isEntry: true, css: ['../../secret.css'] } })).toThrow(/outside the frontend folder/);
  });

  it('refuses an import of a chunk the manifest does not list', () => {
    expect(() => parse({ 'main.ts': { file: 'a.js', isEntry: true, imports: ['_gone.js'] } })).toThrow(/imports "_gone.js"/);
  });
});

describe('isContainedPath', () => {
  it('accepts nested relative paths only', () => {
    expect(isContainedPath('assets/index-B9x2LkQe.js')).toBe(true);
    expect(isContainedPath('index.js')).toBe(true);
    expect(isContainedPath('./index.js')).toBe(false);
    expect(isContainedPath('')).toBe(false);
  });
});
