import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frontendErrorOf } from '../src/frontend/frontend-list';
import { IMMUTABLE } from '../src/frontend/content-types';
import { rawGet } from './browser/raw-http';
import { describeDb } from './support/test-database';
import { FIXTURES, TestSandbox } from './support/test-host';

const BASE = '/api/plugins/assets/fe-assets/';
const BROKEN = ['fe-bad-json', 'fe-no-entry', 'fe-outside'];

describeDb('frontend assets: the SPA list and GET /api/plugins/assets/<id>/<path>', () => {
  let sandbox: TestSandbox;
  let url: string;
  const get = (path: string, headers?: Record<string, string>) => rawGet(url, path, headers);
  const expectRefused = async (path: string) => {
    const reply = await get(path);
    expect({ path, status: reply.status, code: reply.json?.code }).toEqual({ path, status: 404, code: 'PLG_NOT_FOUND' });
    expect(reply.json.statusCode).toBe(404);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.text).not.toContain('"id": "fe-assets"');
  };

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['fe-assets', 'fe-vite-dir', ...BROKEN]);
    sandbox.addPlugin('fe-only', 'fe-only', sandbox.frontendPluginsDir);
    const assets = join(sandbox.pluginsDir, 'fe-assets', 'frontend');
    symlinkSync('../../plugin.json', join(assets, 'assets', 'link-Gg55Hh66.js'));
    symlinkSync('assets', join(assets, 'linked'));
    // Beyond the size sent in one read: streamed.
    writeFileSync(join(assets, 'assets', 'big-Mm88Nn99.wasm'), randomBytes(300 * 1024));
    const manifest = JSON.parse(readFileSync(join(assets, 'manifest.json'), 'utf8'));
    manifest['src/main.ts'].assets.push('assets/big-Mm88Nn99.wasm');
    writeFileSync(join(assets, 'manifest.json'), JSON.stringify(manifest));
    await sandbox.start();
    url = sandbox.host!.url;
    for (const id of ['fe-assets', 'fe-vite-dir', 'fe-only', ...BROKEN]) expect((await sandbox.enable(id)).status).toBe(200);
  });
  afterAll(() => sandbox?.dispose());

  it('lists active plugins with a valid manifest, frontend-only bundles and .vite/manifest.json included, and skips invalid manifests', async () => {
    const list = await sandbox.request('GET', '/api/plugins', undefined, null);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { id: 'fe-assets', name: 'Frontend assets', version: '1.0.0', entry: `${BASE}assets/main-B9x2LkQe.js`, cssEntries: [`${BASE}assets/main-D0cA7e1f.css`] },
      { id: 'fe-only', name: 'Frontend only', version: '2.0.0', entry: '/api/plugins/assets/fe-only/assets/index-Rr33Ss44.js', cssEntries: ['/api/plugins/assets/fe-only/assets/index-Xx66Yy77.css'] },
      { id: 'fe-vite-dir', name: 'Vite folder manifest', version: '1.0.0', entry: '/api/plugins/assets/fe-vite-dir/assets/index-Pp11Qq22.js', cssEntries: [] },
    ]);
  });

  it('says why an invalid manifest makes a frontend unusable, naming the plugin, and serves none of its files', async () => {
    const errorOf = (id: string) => frontendErrorOf(sandbox.host!.registry.get(id)!);
    expect(errorOf('fe-bad-json')).toMatch(/^Plugin 'fe-bad-json': frontend\/manifest\.json is not valid JSON/);
    expect(errorOf('fe-no-entry')).toMatch(/has no chunk with "isEntry": true/);
    expect(errorOf('fe-outside')).toMatch(/"\.\.\/\.\.\/plugin\.json", outside the frontend folder/);
    expect(errorOf('fe-assets')).toBeNull();
    for (const id of BROKEN) await expectRefused(`/api/plugins/assets/${id}/assets/index-Vv55Ww66.js`);
  });

  it.each([
    ['assets/main-B9x2LkQe.js', 'text/javascript; charset=utf-8', IMMUTABLE],
    ['assets/shared-Cx81aa0P.js', 'text/javascript; charset=utf-8', IMMUTABLE],
    ['assets/lazy-Ee44Ff55.js', 'text/javascript; charset=utf-8', IMMUTABLE],
    ['assets/main-D0cA7e1f.css', 'text/css; charset=utf-8', IMMUTABLE],
    ['assets/logo-Zk3mQ9aB.svg', 'image/svg+xml', IMMUTABLE],
    ['assets/font-Aa11Bb22.woff2', 'font/woff2', IMMUTABLE],
    ['assets/data.json', 'application/json; charset=utf-8', 'no-cache'],
  ])('serves the listed file %s as %s with nosniff and cache-control %s', async (file, type, cache) => {
    const reply = await get(BASE + file);
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({ 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
    expect(reply.body.equals(readFileSync(join(FIXTURES, 'fe-assets', 'frontend', file)))).toBe(true);
  });

  it('serves a large listed file whole, streamed, with its length', async () => {
    const reply = await get(`${BASE}assets/big-Mm88Nn99.wasm`);
    const file = readFileSync(join(sandbox.pluginsDir, 'fe-assets', 'frontend', 'assets', 'big-Mm88Nn99.wasm'));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe(String(file.length));
    expect(reply.body.equals(file)).toBe(true);
  });

  it('answers 304 when the browser already has the file', async () => {
    const first = await get(`${BASE}assets/main-B9x2LkQe.js`);
    const again = await get(`${BASE}assets/main-B9x2LkQe.js`, { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('refuses files the manifest does not list, the manifest itself included', async () => {
    await expectRefused(`${BASE}assets/unlisted-Tt44Uu55.js`);
    await expectRefused(`${BASE}manifest.json`);
    await expectRefused(`${BASE}assets/inner-Kk77Ll88.js`);
    await expectRefused(`${BASE}assets/main-B9x2LkQe.js/`);
    await expectRefused(BASE);
  });

  it.each([
    `${BASE}../plugin.json`,
    `${BASE}assets/../../plugin.json`,
    `${BASE}%2e%2e/plugin.json`,
    `${BASE}assets/%2E%2E/%2e%2e/plugin.json`,
    `${BASE}..%2fplugin.json`,
    `${BASE}assets%2f..%2f..%2fplugin.json`,
    `${BASE}..%5cplugin.json`,
    `${BASE}assets\\..\\..\\plugin.json`,
    `${BASE}%252e%252e/plugin.json`,
    `${BASE}assets%252fmain-B9x2LkQe.js`,
    `${BASE}assets/main-B9x2LkQe.js%00`,
    `${BASE}assets//main-B9x2LkQe.js`,
    '/api/plugins/assets/..%2ffe-assets/plugin.json',
    '/api/plugins/assets/fe-assets%2f..%2f..%2f/plugin.json',
  ])('refuses %s with a coded 404', (path) => expectRefused(path));

  it('refuses dotfiles, even one the manifest lists', () => expectRefused(`${BASE}assets/.hidden-Ab12Cd34.js`));

  it('refuses a listed file that is a symbolic link, or that sits behind a linked folder', async () => {
    await expectRefused(`${BASE}assets/link-Gg55Hh66.js`);
    await expectRefused(`${BASE}linked/inner-Kk77Ll88.js`);
  });

  it('serves a frontend-only bundle from frontend-plugins/ and a .vite/manifest.json build', async () => {
    const only = await get('/api/plugins/assets/fe-only/assets/index-Xx66Yy77.css');
    expect(only).toMatchObject({ status: 200, text: 'body {}\n' });
    expect((await get('/api/plugins/assets/fe-vite-dir/assets/index-Pp11Qq22.js')).status).toBe(200);
    await expectRefused('/api/plugins/assets/fe-vite-dir/.vite/manifest.json');
  });

  it('finds the manifest afresh when a Vite build replaces frontend/manifest.json with .vite/manifest.json, without a rescan', async () => {
    const frontend = join(sandbox.pluginsDir, 'fe-assets', 'frontend');
    rmSync(join(frontend, 'manifest.json'));
    mkdirSync(join(frontend, '.vite'));
    writeFileSync(join(frontend, 'assets', 'main-Zz99Yy88.js'), 'export default {};\n');
    writeFileSync(join(frontend, '.vite', 'manifest.json'), JSON.stringify({ 'src/main.ts': { file: 'assets/main-Zz99Yy88.js', isEntry: true } }));
    const list = await sandbox.request('GET', '/api/plugins', undefined, null);
    expect(list.body.find((p: { id: string }) => p.id === 'fe-assets')).toMatchObject({ entry: `${BASE}assets/main-Zz99Yy88.js`, cssEntries: [] });
    expect((await get(`${BASE}assets/main-Zz99Yy88.js`)).status).toBe(200);
    expect(frontendErrorOf(sandbox.host!.registry.get('fe-assets')!)).toBeNull();
  });

  it('answers 404 for unknown plugins, and for a plugin once it is disabled', async () => {
    const unknown = await get('/api/plugins/assets/nope/assets/main-B9x2LkQe.js');
    expect(unknown.json).toMatchObject({ statusCode: 404, code: 'PLG_NOT_FOUND', pluginId: 'nope' });
    expect(unknown.json.message).toContain("'nope'");
    await expectRefused('/api/plugins/assets/Not%20An%20Id/x.js');
    expect((await sandbox.disable('fe-assets')).status).toBe(200);
    await expectRefused(`${BASE}assets/main-B9x2LkQe.js`);
    const list = await sandbox.request('GET', '/api/plugins', undefined, null);
    expect(list.body.map((p: { id: string }) => p.id)).toEqual(['fe-only', 'fe-vite-dir']);
  });
});
