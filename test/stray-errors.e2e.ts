import type { ChildProcess } from 'node:child_process';
import { describeDb } from './support/test-database';
import { runCli, startHostProcess, stopProcess } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls a host process's HTTP API with the admin token; the answer as JSON. */
const adminCaller = (url: () => string) => async (method: string, path: string, body?: unknown) => {
  const res = await fetch(url() + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describeDb('stray errors of plugin code', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string };
  const call = adminCaller(() => host.url);
  const view = async () => (await call('GET', '/api/admin/plugins/stray-errors')).body;
  /** Fires one stray error through a route and waits until the host has counted it. */
  const fire = async (route: string, expected: number) => {
    expect((await call('GET', `/api/plugins/stray-errors/${route}`)).status).toBe(200);
    for (let i = 0; i < 100 && (await view()).unhandledErrors < expected; i++) await sleep(20);
  };
  const logged = (text: string) => host.output().split(text).length - 1;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['stray-errors', 'echo', 'stray-import']);
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
    for (const id of ['stray-errors', 'echo']) expect((await call('POST', `/api/admin/plugins/${id}/enabled`, { enabled: true, acceptRisk: true })).status).toBe(200);
  });
  afterAll(async () => {
    if (host) expect(await stopProcess(host.child)).toBe(0);
    await sandbox?.dispose();
  });

  it('survives a rejection nobody awaited, counts it for the plugin and logs it once with the plugin id', async () => {
    await fire('reject', 1);
    expect(await view()).toMatchObject({ state: 'active', unhandledErrors: 1, degraded: false, lastUnhandledError: { kind: 'unhandled rejection', message: 'Error: nobody awaited this' } });
    expect(logged("Plugin 'stray-errors': unhandled rejection")).toBe(1);
    expect(logged('nobody awaited this')).toBe(1);
    expect((await call('GET', '/api/health')).status).toBe(200);
  });

  it('survives an exception thrown from a timer and from an event listener, each counted once', async () => {
    await fire('timer', 2);
    await fire('listener', 3);
    expect(await view()).toMatchObject({ unhandledErrors: 3, degraded: false, lastUnhandledError: { kind: 'uncaught exception', message: 'Error: a tick listener threw' } });
    expect(logged("Plugin 'stray-errors': uncaught exception")).toBe(2);
    expect((await call('GET', '/api/plugins/stray-errors/ping')).body).toEqual({ pong: true });
    expect((await call('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
  });

  it('marks a plugin that keeps doing it degraded, not the host, and leaves the other plugins alone', async () => {
    await fire('reject', 4);
    await fire('reject', 5);
    expect(await view()).toMatchObject({ state: 'active', unhandledErrors: 5, degraded: true });
    expect(logged("Plugin 'stray-errors' is degraded: 5 unhandled errors within 60 s")).toBe(1);
    const list = (await call('GET', '/api/admin/plugins')).body as any[];
    expect(list.find((p) => p.id === 'echo')).toMatchObject({ unhandledErrors: 0, degraded: false, lastUnhandledError: null });
    expect((await call('GET', '/api/health')).body.status).toBe('ok');
    expect((await call('GET', '/api/plugins/echo/say/still')).body).toEqual({ said: 'still' });
    const listed = await runCli(['list'], sandbox.env());
    expect(listed.stdout).toMatch(/^stray-errors\s+1\.0\.0\s+active \(degraded\)\s+yes/m);
    expect(listed.stdout).toMatch(/^echo\s+1\.0\.0\s+active\s+yes/m);
  });

  it("attributes a throw outside any request or task to the plugin by its stack, and logs one without a stack as the host's", async () => {
    expect((await call('POST', '/api/admin/plugins/stray-import/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
    for (let i = 0; i < 100 && !host.output().includes('a bare string thrown on import'); i++) await sleep(20);
    expect((await call('GET', '/api/admin/plugins/stray-import')).body).toMatchObject({
      unhandledErrors: 1,
      lastUnhandledError: { kind: 'uncaught exception', message: 'Error: a timer started on import threw' },
    });
    expect(logged("Plugin 'stray-import': uncaught exception")).toBe(1);
    expect(logged('uncaught exception outside any plugin, the host keeps running: a bare string thrown on import')).toBe(1);
    expect((await call('GET', '/api/health')).status).toBe(200);
  });

  it("logs a rejection raised inside Node from a call the plugin did not await as the host's: its stack has no plugin frame", async () => {
    expect((await call('GET', '/api/plugins/stray-errors/io')).status).toBe(200);
    for (let i = 0; i < 100 && !host.output().includes('appnest-stray-errors.txt'); i++) await sleep(20);
    expect(logged("unhandled rejection outside any plugin, the host keeps running: Error: ENOENT: no such file or directory, open '/nonexistent/appnest-stray-errors.txt'")).toBe(1);
    expect(await view()).toMatchObject({ unhandledErrors: 5 });
  });

  it('clears degraded when the plugin starts again, and keeps the count', async () => {
    expect((await call('POST', '/api/admin/plugins/stray-errors/enabled', { enabled: false })).status).toBe(200);
    expect(await view()).toMatchObject({ degraded: false, unhandledErrors: 5 });
    expect((await call('POST', '/api/admin/plugins/stray-errors/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
    await fire('reject', 6);
    expect(await view()).toMatchObject({ state: 'active', degraded: false, unhandledErrors: 6 });
    expect(host.child.exitCode).toBeNull();
  });
});

describeDb('stray errors with APPNEST_ASYNC_ATTRIBUTION=1', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string };
  const call = adminCaller(() => host.url);

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['stray-errors']);
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info', APPNEST_ASYNC_ATTRIBUTION: '1' });
    expect((await call('POST', '/api/admin/plugins/stray-errors/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
  });
  afterAll(async () => {
    if (host) expect(await stopProcess(host.child)).toBe(0);
    await sandbox?.dispose();
  });

  it("attributes a rejection raised inside Node to the plugin whose request made the call, by the request's async context", async () => {
    expect((await call('GET', '/api/plugins/stray-errors/io')).status).toBe(200);
    for (let i = 0; i < 100 && (await call('GET', '/api/admin/plugins/stray-errors')).body.unhandledErrors < 1; i++) await sleep(20);
    expect((await call('GET', '/api/admin/plugins/stray-errors')).body).toMatchObject({
      unhandledErrors: 1,
      lastUnhandledError: { kind: 'unhandled rejection', message: expect.stringContaining('appnest-stray-errors.txt') },
    });
    expect(host.output()).toContain("Plugin 'stray-errors': unhandled rejection, the host keeps serving: Error: ENOENT");
    expect(host.output()).not.toContain('outside any plugin');
  });
});
