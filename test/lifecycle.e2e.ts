import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function events(sandbox: TestSandbox, kind: string): Promise<Date[]> {
  const rows = await sandbox.host!.db.dataSource.query('SELECT at FROM ticker_events WHERE kind = $1 ORDER BY at', [kind]);
  return rows.map((r: any) => new Date(r.at));
}

/** Steady traffic from a few concurrent loops until stopped; counts non-2xx answers and errors per path. */
function steadyLoad(base: string, paths: string[], concurrency = 3) {
  let running = true;
  const failures: string[] = [];
  let requests = 0;
  const loops = paths.flatMap((path) =>
    Array.from({ length: concurrency }, async () => {
      while (running) {
        try {
          const res = await fetch(base + path);
          await res.arrayBuffer();
          requests++;
          if (res.status !== 200) failures.push(`${path} ${res.status}`);
        } catch (err) {
          failures.push(`${path} ${(err as Error).message}`);
        }
      }
    }),
  );
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { failures, requests };
    },
  };
}

describeDb('live lifecycle', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  it('enables and disables a plugin 20 times under load with no failed request to the host or another plugin', async () => {
    sandbox = await TestSandbox.create(['echo', 'layout-a']);
    await sandbox.start();
    expect((await sandbox.enable('echo')).status).toBe(200);
    const load = steadyLoad(sandbox.host!.url, ['/api/health', '/api/plugins/echo/ping']);
    for (let i = 0; i < 20; i++) {
      expect((await sandbox.enable('layout-a')).status).toBe(200);
      expect((await sandbox.request('GET', '/api/plugins/layout-a/info')).status).toBe(200);
      expect((await sandbox.disable('layout-a')).status).toBe(200);
      expect((await sandbox.request('GET', '/api/plugins/layout-a/info')).status).toBe(404);
    }
    const { failures, requests } = await load.stop();
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(100);
  });

  it('runs a cron task once per tick while enabled, stops it on disable, and runs its hooks once per activation', async () => {
    sandbox = await TestSandbox.create(['ticker']);
    await sandbox.start();
    expect((await sandbox.enable('ticker')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins/ticker')).body.tasks).toEqual(
      expect.arrayContaining([
        { name: 'ticker:tick', kind: 'cron' },
        { name: 'ticker:warmup', kind: 'timeout' },
      ]),
    );
    await sleep(3300);
    expect((await sandbox.disable('ticker')).status).toBe(200);
    const ticksAtDisable = (await events(sandbox, 'tick')).length;
    expect(ticksAtDisable).toBeGreaterThanOrEqual(2);
    await sleep(1500);
    expect((await events(sandbox, 'tick')).length).toBeLessThanOrEqual(ticksAtDisable + 1);

    const reEnabledAt = Date.now();
    expect((await sandbox.enable('ticker')).status).toBe(200);
    await sleep(4200);
    const after = (await events(sandbox, 'tick')).filter((at) => at.getTime() >= reEnabledAt);
    const perSecond = new Map<number, number>();
    for (const at of after) perSecond.set(Math.floor(at.getTime() / 1000), (perSecond.get(Math.floor(at.getTime() / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBe(1);
    expect(after.length).toBeGreaterThanOrEqual(3);
    // Two activations: init, timeout and destroy once for each, no more.
    expect((await events(sandbox, 'init')).length).toBe(2);
    expect((await events(sandbox, 'timeout')).length).toBe(2);
    expect((await events(sandbox, 'destroy')).length).toBe(1);
  });

  it('starts the plugins enabled at boot in one shared application, and still stops each alone, hooks once', async () => {
    sandbox = await TestSandbox.create(['ticker', 'echo', 'uses-host', 'dep-base', 'dep-user']);
    await sandbox.start();
    for (const id of ['ticker', 'echo', 'uses-host', 'dep-user']) expect((await sandbox.enable(id)).status).toBe(200);
    await sandbox.start(); // a restart: all five start in one batch
    const activations = sandbox.host!.reconciler.activations;
    expect(activations.get('echo')!.app).toBe(activations.get('ticker')!.app);
    expect(activations.get('uses-host')!.app).toBe(activations.get('ticker')!.app);
    // A dependency and its dependent keep applications of their own.
    expect(activations.get('dep-base')!.app).not.toBe(activations.get('ticker')!.app);
    expect(activations.get('dep-user')!.app).not.toBe(activations.get('dep-base')!.app);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
    expect((await sandbox.request('GET', '/api/plugins/uses-host/host')).body).toMatchObject({ sameHostInfo: true, word: 'bonjour' });
    expect((await sandbox.request('GET', '/api/plugins/echo/alive')).status).toBe(404);
    expect((await sandbox.request('GET', '/api/admin/plugins/ticker')).body.tasks).toEqual(expect.arrayContaining([{ name: 'ticker:tick', kind: 'cron' }]));
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body.tasks).toEqual([]);
    await sleep(1200);

    // First activation stopped by the restart, the second one now: init twice, destroy once.
    expect((await sandbox.disable('ticker')).status).toBe(200);
    expect((await events(sandbox, 'init')).length).toBe(2);
    expect((await events(sandbox, 'destroy')).length).toBe(2);
    expect((await sandbox.request('GET', '/api/plugins/ticker/alive')).status).toBe(404);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(200);
    const ticksAtDisable = (await events(sandbox, 'tick')).length;
    await sleep(1500);
    expect((await events(sandbox, 'tick')).length).toBeLessThanOrEqual(ticksAtDisable + 1);

    // Back in an application of its own; the shared one closes when its last plugin leaves.
    expect((await sandbox.enable('ticker')).status).toBe(200);
    expect(activations.get('ticker')!.app).not.toBe(activations.get('echo')!.app);
    expect((await sandbox.request('GET', '/api/plugins/ticker/alive')).body).toEqual({ alive: true });
    expect((await sandbox.disable('echo')).status).toBe(200);
    expect((await sandbox.disable('uses-host')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/plugins/ticker/alive')).status).toBe(200);
    expect((await events(sandbox, 'init')).length).toBe(3);
    expect((await events(sandbox, 'destroy')).length).toBe(2);
  });

  it('keeps the host and other tasks on time when one task throws and another hangs', async () => {
    sandbox = await TestSandbox.create(['bad-tasks', 'echo']);
    await sandbox.start();
    await sandbox.enable('echo');
    expect((await sandbox.enable('bad-tasks')).status).toBe(200);
    await sleep(3200);
    const counts = (await sandbox.request('GET', '/api/plugins/bad-tasks/counts')).body;
    expect(counts.healthyRuns).toBeGreaterThanOrEqual(10);
    expect(counts.hangingStarts).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    const errors = sandbox.logs.filter((l) => l.includes("Task 'bad-tasks:explodes' failed: the exploding task of bad-tasks exploded"));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(sandbox.logs.some((l) => l.includes('[plugin:bad-tasks]') || l.includes("'bad-tasks:explodes'"))).toBe(true);
  });

  it('enables dependencies first, shares the exported provider, and disables dependents first', async () => {
    sandbox = await TestSandbox.create(['dep-base', 'dep-user']);
    await sandbox.start();
    const enabled = await sandbox.enable('dep-user');
    expect(enabled.status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins/dep-base')).body).toMatchObject({ state: 'active', enabled: true });
    expect((await sandbox.request('GET', '/api/plugins/dep-user/greet')).body.greeting).toBe('hello dep-user from dep-base');
    expect((await sandbox.disable('dep-base')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins/dep-user')).body).toMatchObject({ state: 'disabled', enabled: false });
    expect((await sandbox.request('GET', '/api/plugins/dep-user/greet')).status).toBe(404);
  });

  it('refuses missing and out-of-range dependencies, conflicts both ways, a cycle, and a newer host range, each with its code', async () => {
    sandbox = await TestSandbox.create(['dep-base', 'dep-wrong-version', 'dep-missing', 'conflict-x', 'echo', 'cycle-a', 'cycle-b', 'host-future']);
    await sandbox.start();
    expect((await sandbox.enable('dep-wrong-version')).body).toMatchObject({ code: 'PLG_DEPENDENCY_VERSION', pluginId: 'dep-wrong-version' });
    expect((await sandbox.enable('dep-missing')).body).toMatchObject({ code: 'PLG_DEPENDENCY_MISSING', pluginId: 'dep-missing' });
    expect((await sandbox.enable('host-future')).body).toMatchObject({ code: 'PLG_HOST_INCOMPATIBLE', pluginId: 'host-future' });
    expect((await sandbox.request('GET', '/api/admin/plugins/host-future')).body.state).toBe('incompatible');

    expect((await sandbox.enable('echo')).status).toBe(200);
    expect((await sandbox.enable('conflict-x')).body).toMatchObject({ code: 'PLG_CONFLICT', pluginId: 'conflict-x', conflictsWith: 'echo' });
    await sandbox.disable('echo');
    expect((await sandbox.enable('conflict-x')).status).toBe(200);
    expect((await sandbox.enable('echo')).body).toMatchObject({ code: 'PLG_CONFLICT', pluginId: 'echo', conflictsWith: 'conflict-x' });

    const cycle = await sandbox.enable('cycle-a');
    expect(cycle.body).toMatchObject({ code: 'PLG_DEPENDENCY_CYCLE', pluginId: 'cycle-a' });
    expect(cycle.body.message).toContain('cycle-a -> cycle-b -> cycle-a');
    expect((await sandbox.request('GET', '/api/admin/plugins/cycle-b')).body).toMatchObject({ state: 'failed', error: { code: 'PLG_DEPENDENCY_CYCLE' } });
    expect((await sandbox.request('GET', '/api/admin/plugins/conflict-x')).body.state).toBe('active');
  });

  it('delivers host events to active plugins only, one failing handler not blocking the others', async () => {
    sandbox = await TestSandbox.create(['listener', 'echo']);
    await sandbox.start();
    await sandbox.enable('listener');
    await sandbox.enable('echo');
    await sandbox.disable('echo');
    const received = (await sandbox.request('GET', '/api/plugins/listener/events')).body;
    expect(received).toEqual([
      { event: 'plugin.enabled', pluginId: 'listener' },
      { event: 'plugin.enabled', pluginId: 'echo' },
      { event: 'plugin.disabled', pluginId: 'echo' },
    ]);
    expect(sandbox.logs.some((l) => l.includes("Plugin 'listener': a handler of 'plugin.enabled' threw in BrokenListener.enabled(): the broken listener of listener threw"))).toBe(true);
  });

  it('lists live extension implementations and refuses one without a required member', async () => {
    sandbox = await TestSandbox.create(['ext-host', 'ext-good', 'ext-bad']);
    await sandbox.start();
    expect((await sandbox.enable('ext-good')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/plugins/ext-host/greetings')).body).toEqual([{ plugin: 'ext-good', says: 'good day' }]);
    const bad = await sandbox.enable('ext-bad');
    expect(bad.body).toMatchObject({ code: 'PLG_EXTENSION_INVALID', pluginId: 'ext-bad', member: 'greet' });
    expect(bad.body.message).toContain("'greet'");
    await sandbox.disable('ext-good');
    expect((await sandbox.request('GET', '/api/plugins/ext-host/greetings')).body).toEqual([]);
  });

  it('serves edited plugin code after a reload, without restarting the process', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    await sandbox.enable('echo');
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
    const file = join(sandbox.pluginsDir, 'echo', 'app.module.ts');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('return { pong: true };', "return { pong: 'v2' };"));
    const reload = await sandbox.request('POST', '/api/admin/plugins/reload');
    expect(reload.body).toMatchObject({ changed: ['echo'] });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: 'v2' });
    appendFileSync(join(sandbox.pluginsDir, 'echo', 'plugin.json'), ' ');
    sandbox.addPlugin('legacy');
    const second = await sandbox.request('POST', '/api/admin/plugins/reload');
    expect(second.body.added).toEqual(['legacy']);
    expect(second.body.plugins.find((p: any) => p.id === 'legacy')).toMatchObject({ state: 'installed', enabled: false });
  });

  it('keeps the previous version serving when edited code does not compile or start, and reports the error with file and line', async () => {
    sandbox = await TestSandbox.create(['echo', 'dep-base', 'dep-user']);
    await sandbox.start();
    await sandbox.enable('echo');
    await sandbox.enable('dep-user');
    const file = join(sandbox.pluginsDir, 'echo', 'app.module.ts');
    const { readFileSync } = await import('node:fs');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('return { pong: true };', 'return { pong: true ;'));
    await sandbox.request('POST', '/api/admin/plugins/reload');
    const broken = (await sandbox.request('GET', '/api/admin/plugins/echo')).body;
    expect(broken).toMatchObject({ state: 'active', error: { code: 'PLG_COMPILE_FAILED' } });
    expect(broken.error.message).toMatch(/app\.module\.ts:\d+:\d+/);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });

    writeFileSync(file, original.replace('export class EchoModule {}', "export class EchoModule {\n  constructor() {\n    throw new Error('echo cannot start');\n  }\n}"));
    await sandbox.request('POST', '/api/admin/plugins/reload');
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ state: 'active', error: { code: 'PLG_START_FAILED' } });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });

    writeFileSync(file, original.replace('return { pong: true };', "return { pong: 'fixed' };"));
    await sandbox.request('POST', '/api/admin/plugins/reload');
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ state: 'active', error: null });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: 'fixed' });

    // A dependency that reloads restarts its dependents with its new instances.
    const before = (await sandbox.request('GET', '/api/plugins/dep-user/greet')).body.serviceCreatedAt;
    const base = join(sandbox.pluginsDir, 'dep-base', 'app.module.ts');
    writeFileSync(base, readFileSync(base, 'utf8').replace('from dep-base`', 'from dep-base v2`'));
    await sandbox.request('POST', '/api/admin/plugins/reload');
    const after = (await sandbox.request('GET', '/api/plugins/dep-user/greet')).body;
    expect(after.greeting).toBe('hello dep-user from dep-base v2');
    expect(after.serviceCreatedAt).toBeGreaterThan(before);
  });

  it('marks a removed plugin missing with its flags kept, and brings it back when the files return', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    await sandbox.enable('echo');
    const { renameSync } = await import('node:fs');
    renameSync(join(sandbox.pluginsDir, 'echo'), join(sandbox.root, 'echo-away'));
    const gone = await sandbox.request('POST', '/api/admin/plugins/reload');
    expect(gone.body.removed).toEqual(['echo']);
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ state: 'missing', enabled: true, everEnabled: true });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(404);
    renameSync(join(sandbox.root, 'echo-away'), join(sandbox.pluginsDir, 'echo'));
    await sandbox.request('POST', '/api/admin/plugins/reload');
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(200);
  });
});
