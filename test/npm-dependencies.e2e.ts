import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/processes';
import { describeDb } from './support/test-database';
import { FIXTURES, TestSandbox } from './support/test-host';
import { uploadZip } from './support/zips';

/** JWT login with @nestjs/jwt, and a passport-jwt guard: 401 without or with a bad token, 200 with a good one. */
async function expectJwtAuth(sandbox: TestSandbox): Promise<void> {
  const refused = await sandbox.request('POST', '/api/plugins/auth-jwt/auth/login', { username: 'john', password: 'wrong' });
  expect(refused.status).toBe(401);
  const login = await sandbox.request('POST', '/api/plugins/auth-jwt/auth/login', { username: 'john', password: 'changeme' });
  expect(login.status).toBe(200);
  const token = login.body.access_token as string;
  expect(token.split('.')).toHaveLength(3);
  expect((await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, null)).status).toBe(401);
  expect((await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, `${token}x`)).status).toBe(401);
  const profile = await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, token);
  expect(profile).toMatchObject({ status: 200, body: { userId: 1, username: 'john' } });
}

/** Each @Cron, @Interval and @Timeout of a module with its own ScheduleModule.forRoot() runs once per tick; an event is handled once. */
async function expectTasksOnce(sandbox: TestSandbox): Promise<void> {
  await sandbox.request('POST', '/api/plugins/own-scheduler/runs/ping');
  await new Promise((r) => setTimeout(r, 3300));
  const { body } = await sandbox.request('GET', '/api/plugins/own-scheduler/runs');
  expect(body.timeout).toBe(1);
  expect(body.events).toBe(1);
  expect(new Set(body.cron).size).toBe(body.cron.length);
  expect(body.cron.length).toBeGreaterThanOrEqual(2);
  expect(body.interval.length).toBeGreaterThanOrEqual(5);
  // Once per tick: a second registration would run each 500 ms tick twice, a few ms apart. Spacing,
  // not a count in a window, so a loaded machine's late timers do not read as doubles.
  const gaps = (body.interval as number[]).slice(1).map((at, i) => at - body.interval[i]);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
}

/** configure(app) sets a ValidationPipe, CORS and Swagger on the plugin's own routes only. */
async function expectApplicationSetup(sandbox: TestSandbox): Promise<void> {
  const bad = await sandbox.request('POST', '/api/plugins/api-docs/items', { name: '', stock: -1, extra: true });
  expect(bad.status).toBe(400);
  expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^name/), expect.stringMatching(/^stock/), expect.stringMatching(/extra/)]));
  expect((await sandbox.request('POST', '/api/plugins/api-docs/items', { name: 'Lamp', stock: 3 })).status).toBe(201);

  const doc = await sandbox.request('GET', '/api/plugins/api-docs/docs-json');
  expect(doc.status).toBe(200);
  expect(doc.body.info.title).toBe('Items');
  expect(Object.keys(doc.body.paths)).toEqual(['/api/plugins/api-docs/items']);
  const ui = await fetch(`${sandbox.host!.url}/api/plugins/api-docs/docs`);
  expect(ui.status).toBe(200);
  expect(await ui.text()).toContain('swagger-ui');
  expect((await sandbox.request('GET', '/docs-json')).body.openapi).toBeUndefined();

  const cors = await fetch(`${sandbox.host!.url}/api/plugins/api-docs/items`, { headers: { origin: 'https://shop.example' } });
  expect(cors.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  const other = await fetch(`${sandbox.host!.url}/api/plugins/echo/ping`, { headers: { origin: 'https://shop.example' } });
  expect(other.status).toBe(200);
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
  const lenient = await sandbox.request('GET', '/api/plugins/echo/say/hi?extra=1');
  expect(lenient.status).toBe(200);
}

describeDb('plugins with their own npm dependencies, packed with appnest pack and installed from the zip', () => {
  const zips = mkdtempSync(join(tmpdir(), 'appnest-zips-'));
  const zipOf = (id: string) => join(zips, `${id}.zip`);
  let sandbox: TestSandbox;

  beforeAll(async () => {
    for (const id of ['auth-jwt', 'api-docs', 'own-scheduler']) {
      const packed = await runCli(['pack', join(FIXTURES, id), '-o', zipOf(id)], {}, zips);
      expect(packed).toMatchObject({ code: 0 });
    }
  }, 120000);
  afterAll(() => rmSync(zips, { recursive: true, force: true }));
  afterEach(() => sandbox.dispose());

  async function install(id: string): Promise<void> {
    const uploaded = await uploadZip(sandbox.host!.url, 'test-admin-token', readFileSync(zipOf(id)), `${id}.zip`);
    expect(uploaded.status).toBe(201);
    expect((await sandbox.enable(id)).body).toMatchObject({ id, state: 'active' });
  }

  it('logs in with @nestjs/jwt and guards a route with passport-jwt', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    await install('auth-jwt');
    await expectJwtAuth(sandbox);
  });

  it('runs each task of a module with its own ScheduleModule.forRoot() once per tick, after a live enable and after a restart', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    await install('own-scheduler');
    await expectTasksOnce(sandbox);
    await sandbox.start();
    await expectTasksOnce(sandbox);
  });

  it("applies what configure(app) sets up (pipes, CORS, Swagger) to the plugin's routes alone", async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    expect((await sandbox.enable('echo')).body).toMatchObject({ state: 'active' });
    await install('api-docs');
    await expectApplicationSetup(sandbox);
  });
});

describeDb('plugins with their own npm dependencies, in place', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox.dispose());

  it('works from a plugin folder where npm install put its dependencies, its own copy of @nestjs/common included', async () => {
    sandbox = await TestSandbox.create(['auth-jwt']);
    await sandbox.start();
    expect((await sandbox.enable('auth-jwt')).body).toMatchObject({ state: 'active' });
    await expectJwtAuth(sandbox);
  });

  it('refuses TypeOrmModule.forRoot() in a plugin with PLG_TYPEORM_ROOT, saying to use forFeature', async () => {
    sandbox = await TestSandbox.create(['typeorm-root']);
    await sandbox.start();
    const reply = await sandbox.enable('typeorm-root');
    expect(reply).toMatchObject({ status: 500, body: { code: 'PLG_TYPEORM_ROOT', pluginId: 'typeorm-root' } });
    expect(reply.body.hint).toMatch(/forFeature/);
    expect((await sandbox.request('GET', '/api/admin/plugins/typeorm-root')).body).toMatchObject({ state: 'failed', error: { code: 'PLG_TYPEORM_ROOT' } });
  });
});

describeDb('a global dynamic module in a plugin', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox.dispose());

  it("is global to its plugin's application alone: another plugin cannot inject from it, on a live enable or at boot", async () => {
    sandbox = await TestSandbox.create(['global-provider', 'global-consumer']);
    await sandbox.start();
    expect((await sandbox.enable('global-provider')).body).toMatchObject({ state: 'active' });
    expect((await sandbox.enable('global-consumer')).body).toMatchObject({ code: 'PLG_START_FAILED' });
    await sandbox.start();
    const list = (await sandbox.request('GET', '/api/admin/plugins')).body as { id: string; state: string }[];
    expect(Object.fromEntries(list.map((p) => [p.id, p.state]))).toEqual({ 'global-provider': 'active', 'global-consumer': 'failed' });
    expect((await sandbox.request('GET', '/api/plugins/global-provider/greeting')).body).toEqual({ greeting: 'hello' });
  });
});
