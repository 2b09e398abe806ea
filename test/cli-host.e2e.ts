import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { REPO, runCli, stopProcess } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

interface CliProcess {
  child: ChildProcess;
  url: string;
  /** stdout and stderr so far. */
  output: () => string;
  /** Resolves when the output matches `pattern` (after `from` characters), rejects after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number, from?: number) => Promise<RegExpExecArray>;
}

/** Starts a long-running CLI command and resolves once the host it runs logs that it listens. */
async function startCli(args: string[], env: Record<string, string | undefined>): Promise<CliProcess> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'appnest.js'), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d;
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs = 30000, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.slice(from));
        if (!match) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(match);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const [, url] = await waitFor(/appnest listening on (http:\/\/\S+)/, 60000);
  return { child, url, output: () => output, waitFor };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** Polls `url` until its JSON body satisfies `done`; returns the time it took. */
async function pollUntil(url: string, done: (body: any) => boolean, timeoutMs: number): Promise<number> {
  const began = Date.now();
  while (Date.now() - began < timeoutMs) {
    const { body } = await getJson(url).catch(() => ({ body: undefined }));
    if (body !== undefined && done(body)) return Date.now() - began;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} did not change within ${timeoutMs} ms`);
}

describeDb('appnest start and appnest dev', () => {
  let sandbox: TestSandbox;
  let env: Record<string, string | undefined>;
  let running: ChildProcess | undefined;
  beforeEach(async () => {
    sandbox = await TestSandbox.create(['echo']);
    env = { ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' };
    expect((await runCli(['enable', 'echo', '--accept-risk'], env)).code).toBe(0);
  });
  afterEach(async () => {
    if (running) await stopProcess(running);
    running = undefined;
    await sandbox.dispose();
  });

  it('start runs the host until SIGTERM, and CLI commands reach it live', async () => {
    const host = await startCli(['start'], env);
    running = host.child;
    expect((await getJson(`${host.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
    expect((await runCli(['disable', 'echo'], env)).code).toBe(0);
    expect((await getJson(`${host.url}/api/plugins/echo/ping`)).status).toBe(404);
    expect(await stopProcess(host.child)).toBe(0);
    expect(host.output()).toContain('SIGTERM: stopping');
  });

  it("start keeps V8's code cache of plugin code when it stops, and the next start serves from it", async () => {
    const cacheFiles = (extension: string) => readdirSync(join(sandbox.dataDir, 'compile-cache'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(extension));
    const first = await startCli(['start'], env);
    running = first.child;
    expect((await getJson(`${first.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
    expect(await stopProcess(first.child)).toBe(0);
    const codeCaches = cacheFiles('.v8');
    expect(codeCaches.length).toBeGreaterThan(0);
    expect(codeCaches.length).toBe(cacheFiles('.js').length);
    expect(cacheFiles('.tmp')).toEqual([]);
    const written = codeCaches.map((f) => statSync(join(sandbox.dataDir, 'compile-cache', f)).mtimeMs);

    const second = await startCli(['start'], env);
    running = second.child;
    expect((await getJson(`${second.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
    expect(await stopProcess(second.child)).toBe(0);
    // V8 accepted every cache entry: none was taken again.
    expect(codeCaches.map((f) => statSync(join(sandbox.dataDir, 'compile-cache', f)).mtimeMs)).toEqual(written);
  });

  it('dev serves a saved change within 2 s; a syntax error is reported with file and line while the old version keeps answering', async () => {
    const dev = await startCli(['dev'], env);
    running = dev.child;
    await dev.waitFor(/Watching .* for changes/);
    const ping = `${dev.url}/api/plugins/echo/ping`;
    const source = join(sandbox.pluginsDir, 'echo', 'app.module.ts');
    const original = readFileSync(source, 'utf8');

    writeFileSync(source, original.replace('{ pong: true }', "{ pong: 'edited' }"));
    expect(await pollUntil(ping, (body) => body.pong === 'edited', 2000)).toBeLessThan(2000);

    const mark = dev.output().length;
    writeFileSync(source, original.replace('{ pong: true }', "{ pong: 'broken' ;"));
    const [line] = await dev.waitFor(/^PLG_COMPILE_FAILED: .*$/m, 5000, mark);
    expect(line).toContain(`${source}:7:`);
    expect(line).toContain('the previous version keeps serving');
    expect((await getJson(ping)).body).toEqual({ pong: 'edited' });

    writeFileSync(source, original.replace('{ pong: true }', "{ pong: 'fixed' }"));
    expect(await pollUntil(ping, (body) => body.pong === 'fixed', 2000)).toBeLessThan(2000);
  });

  it('dev reports a plugin that compiles but fails to start, with the file it threw in, and keeps the old version serving', async () => {
    const dev = await startCli(['dev'], env);
    running = dev.child;
    await dev.waitFor(/Watching .* for changes/);
    const source = join(sandbox.pluginsDir, 'echo', 'app.module.ts');
    const mark = dev.output().length;
    writeFileSync(
      source,
      readFileSync(source, 'utf8').replace('export class EchoController {', "export class EchoController {\n  constructor() {\n    throw new Error('echo refuses to start');\n  }\n"),
    );
    const [line] = await dev.waitFor(/^PLG_START_FAILED: .*echo refuses to start.*\n  at .*$/m, 5000, mark);
    expect(line).toContain('(the previous version keeps serving)');
    expect(line).toContain(`at ${source}:`);
    expect((await getJson(`${dev.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
  });

  it('dev keeps the previous version serving when plugin.json becomes invalid, prints the error, and takes the fixed one', async () => {
    const dev = await startCli(['dev'], env);
    running = dev.child;
    await dev.waitFor(/Watching .* for changes/);
    const descriptor = join(sandbox.pluginsDir, 'echo', 'plugin.json');
    const original = readFileSync(descriptor, 'utf8');
    const admin = `${dev.url}/api/admin/plugins/echo`;
    const view = async () => (await (await fetch(admin, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as any;
    const mark = dev.output().length;
    writeFileSync(descriptor, original.replace('"version"', '"version": 2, "oops"'));
    const [line] = await dev.waitFor(/^PLG_INVALID_DESCRIPTOR: .*$/m, 5000, mark);
    expect(line).toContain('echo/plugin.json');
    expect(line).toContain('(the previous version keeps serving)');
    expect((await getJson(`${dev.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
    expect(await view()).toMatchObject({ state: 'active', version: '1.0.0', error: { code: 'PLG_INVALID_DESCRIPTOR' } });

    writeFileSync(descriptor, original.replace('"Echo"', '"Echo again"'));
    const began = Date.now();
    while (Date.now() - began < 5000 && (await view()).name !== 'Echo again') await new Promise((r) => setTimeout(r, 25));
    expect(await view()).toMatchObject({ state: 'active', name: 'Echo again', error: null });
    expect((await getJson(`${dev.url}/api/plugins/echo/ping`)).body).toEqual({ pong: true });
  });

  it('dev does not apply the empty skeleton migration:create writes', async () => {
    sandbox.addPlugin('pending-one');
    const dev = await startCli(['dev'], env);
    running = dev.child;
    await dev.waitFor(/Watching .* for changes/);
    expect((await runCli(['enable', 'pending-one', '--accept-risk'], env)).code).toBe(0);
    const created = await runCli(['migration:create', 'pending-one', 'add-label'], env);
    expect(created.code).toBe(0);
    const [, name] = /(\d+-add-label)\.ts/.exec(created.stdout)!;
    await dev.waitFor(new RegExp(`migration '${name}' has an empty up\\(\\); it is applied once it does something`), 5000);
    const res = await fetch(`${dev.url}/api/admin/plugins/pending-one`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await res.json()) as any).migrations).toMatchObject({ applied: [{ name: '001-create' }], pending: [name] });
  });

  it('dev picks up a new plugin folder, listed disabled', async () => {
    const dev = await startCli(['dev'], env);
    running = dev.child;
    await dev.waitFor(/Watching .* for changes/);
    sandbox.addPlugin('actor');
    await dev.waitFor(/^\+ actor: installed/m, 5000);
    const res = await fetch(`${dev.url}/api/admin/plugins/actor`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await res.json()).toMatchObject({ id: 'actor', state: 'installed', enabled: false });
  });
});
