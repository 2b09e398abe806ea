import { webBuildUnavailable } from './browser/browser-setup';
import { rawGet } from './browser/raw-http';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const notBuilt = webBuildUnavailable();
if (notBuilt) process.stderr.write(`SPA serving tests skipped: ${notBuilt}\n`);
const describeSpa = notBuilt ? describe.skip : describeDb;

describeSpa('the single-page app at / and its shared modules', () => {
  let sandbox: TestSandbox;
  let url: string;
  const get = (path: string, headers?: Record<string, string>) => rawGet(url, path, headers);

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    url = sandbox.host!.url;
    expect((await sandbox.enable('echo')).status).toBe(200);
  });
  afterAll(() => sandbox?.dispose());

  it('answers index.html, never cached, for / and for every SPA path', async () => {
    for (const path of ['/', '/admin', '/plugins/notes', '/plugins/notes/list?x=1']) {
      const reply = await get(path);
      expect({ path, status: reply.status, type: reply.headers['content-type'], cache: reply.headers['cache-control'] }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
        cache: 'no-cache',
      });
      expect(reply.text).toContain('<div id="app"></div>');
    }
  });

  it('maps vue and @appnest/frontend to the host copies, served as hashed, immutable JavaScript', async () => {
    const html = (await get('/')).text;
    const map = JSON.parse(/<script type="importmap">(.*?)<\/script>/.exec(html)![1]) as { imports: Record<string, string> };
    expect(Object.keys(map.imports).sort()).toEqual(['@appnest/frontend', 'vue']);
    expect(html.indexOf('type="importmap"')).toBeLessThan(html.indexOf('type="module"'));
    for (const path of Object.values(map.imports)) {
      const reply = await get(path);
      expect(reply.status).toBe(200);
      expect(reply.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
    }
    expect((await get(map.imports.vue)).text).toContain('createApp');
    expect((await get(map.imports['@appnest/frontend'])).text).toMatch(/export\s*\{[^}]*definePlugin/);
  });

  it('leaves /api to the API: unknown API paths are JSON 404s and plugin routes still answer', async () => {
    const unknown = await get('/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/json');
    expect((await get('/api')).status).toBe(404);
    expect((await get('/api/plugins/echo/ping')).json).toEqual({ pong: true });
    expect((await get('/api/health')).status).toBe(200);
  });

  it.each(['/assets/missing-Ab12Cd34.js', '/.vite/manifest.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/assets/..%2f..%2fpackage.json', '/favicon.ico'])(
    'answers 404, not the page, for the file-like path %s',
    async (path) => {
      const reply = await get(path);
      expect(reply.status).toBe(404);
      expect(reply.text).not.toContain('<div id="app">');
      expect(reply.text).not.toContain('"name": "appnest"');
    },
  );
});
