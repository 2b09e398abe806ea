import { UPLOAD_PREFIX } from '../src/archive/install-journal';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO, runCli, startHostProcess, stopProcess } from './support/processes';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';
import { sha256, versionedZip, versionOnDisk } from './support/versioned-plugin';
import { uploadZip } from './support/zips';

const MB = 1024 * 1024;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describeDb('after kill -9', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string } | undefined;
  afterEach(async () => {
    if (host) await stopProcess(host.child, 'SIGKILL');
    host = undefined;
    await sandbox?.dispose();
  });

  // One start the process died in quarantines here: a host hung in a constructor is not to be killed three times.
  const startHost = async () => (host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_START_TIMEOUT_MS: '5000', APPNEST_LOG_LEVEL: 'info', APPNEST_QUARANTINE_AFTER: '1' }));
  const get = async (path: string) => {
    const res = await fetch(host!.url + path, { headers: auth });
    return { status: res.status, body: (await res.json()) as any };
  };
  const staging = () => (existsSync(join(sandbox.pluginsDir, '.staging')) ? readdirSync(join(sandbox.pluginsDir, '.staging')) : []);

  it('serves the previous or the new version consistently, with no staging leftovers, whichever step of an overwrite was cut off', async () => {
    sandbox = await TestSandbox.create();
    const blobs = Array.from({ length: 24 }, (_, i) => ({ name: `assets/blob-${i}.bin`, data: randomBytes(MB), method: 0 }));
    const shaToVersion = new Map<string, string>();
    const zipOf = (version: string) => {
      const zip = versionedZip(version, blobs);
      shaToVersion.set(sha256(zip), version);
      return zip;
    };
    await startHost();
    expect((await uploadZip(host!.url, ADMIN_TOKEN, zipOf('1.0.0'), 'vers.zip')).status).toBe(201);
    expect(
      (
        await fetch(`${host!.url}/api/admin/plugins/vers/enabled`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ enabled: true, acceptRisk: true }),
        })
      ).status,
    ).toBe(200);

    const steps: [string, string, () => boolean | Promise<boolean>][] = [
      // The upload streams into .staging, then is staged there: a kill in either leaves the installed version untouched.
      ['staging', '1.0.1', () => staging().some((name) => name.startsWith('stage-') || name.startsWith(UPLOAD_PREFIX))],
      ['commit', '1.0.2', () => existsSync(join(sandbox.pluginsDir, '.staging', 'journal-vers.json'))],
      ['archive store', '1.0.3', async () => (await get('/api/plugins/vers/version').catch(() => ({ body: {} }))).body.version === '1.0.3'],
    ];
    const outcomes: Record<string, string> = {};
    for (const [step, version, reached] of steps) {
      const before = (await get('/api/plugins/vers/version')).body.version;
      const upload = uploadZip(host!.url, ADMIN_TOKEN, zipOf(version), 'vers.zip', true).catch(() => undefined);
      await waitFor(reached, 60_000, `the ${step} step`);
      await stopProcess(host!.child, 'SIGKILL');
      await upload;

      await startHost();
      const served = (await get('/api/plugins/vers/version')).body.version;
      const api = (await get('/api/admin/plugins/vers')).body;
      expect([before, version]).toContain(served);
      expect({ step, disk: versionOnDisk(sandbox.pluginsDir), api: api.version, state: api.state }).toEqual({ step, disk: served, api: served, state: 'active' });
      expect({ step, staging: staging() }).toEqual({ step, staging: [] });
      outcomes[step] = served === version ? 'new' : 'previous';
      await stopProcess(host!.child);
      host = undefined;
      const inProcess = await sandbox.start();
      expect({ step, stored: shaToVersion.get((await inProcess.archives.storedSha('vers')) ?? '') }).toEqual({ step, stored: served });
      // Once the journal was written, the cut-off install has its audit row: written at restart when rolled back.
      if (step !== 'staging' && served === before) {
        expect((await inProcess.audit.recent()).find((a) => a.detail?.code === 'PLG_INSTALL_INTERRUPTED')).toMatchObject({ pluginId: 'vers', outcome: 'failed' });
      }
      await sandbox.host!.stop();
      sandbox.host = undefined;
      await startHost();
    }
    expect(outcomes.staging).toBe('previous');
  }, 300_000);

  it('starts with a plugin disabled, the reason shown, after it hung the host in a constructor', async () => {
    sandbox = await TestSandbox.create(['spins', 'echo']);
    await startHost();
    const enabling = fetch(`${host!.url}/api/admin/plugins/spins/enabled`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, acceptRisk: true }),
      signal: AbortSignal.timeout(3000),
    });
    await expect(enabling).rejects.toThrow();
    await expect(fetch(`${host!.url}/api/health`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();

    const offline = await runCli(['disable', 'echo'], sandbox.env());
    expect(offline.code).toBe(0);
    await stopProcess(host!.child, 'SIGKILL');

    await startHost();
    const spins = (await get('/api/admin/plugins/spins')).body;
    expect(spins).toMatchObject({ state: 'disabled', enabled: false, error: { code: 'PLG_QUARANTINED' } });
    expect(spins.error.message).toContain("plugin 'spins' was loading or starting");
    expect((await get('/api/health')).status).toBe(200);
    const audit = (await get('/api/admin/audit')).body as any[];
    expect(audit.find((a) => a.action === 'disable' && a.pluginId === 'spins')).toMatchObject({ outcome: 'ok', detail: { code: 'PLG_QUARANTINED' } });
  }, 120_000);

  it('applies an offline `appnest disable` at the next start without loading the plugin', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await startHost();
    await fetch(`${host!.url}/api/admin/plugins/echo/enabled`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true, acceptRisk: true }) });
    await stopProcess(host!.child);
    host = undefined;

    const offline = await runCli(['disable', 'echo'], sandbox.env());
    expect(offline).toMatchObject({ code: 0 });
    expect(offline.stdout).toContain('next start');

    await startHost();
    expect((await get('/api/admin/plugins/echo')).body).toMatchObject({ enabled: false, state: 'disabled', error: null });
    expect((await fetch(`${host!.url}/api/plugins/echo/ping`)).status).toBe(404);
  }, 120_000);

  it('starts a plugin that hung the host alone at the next starts, the others together, so that each hang counts towards its quarantine', async () => {
    sandbox = await TestSandbox.create(['spins', 'echo', 'start-counter']);
    const env = { ...sandbox.env(), PORT: '0', APPNEST_START_TIMEOUT_MS: '5000', APPNEST_LOG_LEVEL: 'info', APPNEST_QUARANTINE_AFTER: '3' };
    host = await startHostProcess(env);
    const enable = (id: string) =>
      fetch(`${host!.url}/api/admin/plugins/${id}/enabled`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ enabled: true, acceptRisk: true }),
        signal: AbortSignal.timeout(3000),
      });
    for (const id of ['echo', 'start-counter']) expect((await enable(id)).status).toBe(200);
    await expect(enable('spins')).rejects.toThrow();
    await stopProcess(host.child, 'SIGKILL');
    host = undefined;

    // Two starts hang in spins' constructor: each time the start record names spins alone.
    for (let hang = 1; hang <= 2; hang++) {
      const child = spawn(process.execPath, [join(REPO, 'dist', 'src', 'main.js')], { env: { ...process.env, ...env }, stdio: 'ignore' });
      try {
        const record = join(sandbox.dataDir, `start-attempt-${child.pid}.json`);
        const named = () => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { ids: string[] }).ids : []);
        await waitFor(() => named().includes('spins'), 60_000, `start ${hang} to reach spins`);
        await new Promise((r) => setTimeout(r, 1000));
        expect(named()).toEqual(['spins']);
      } finally {
        await stopProcess(child, 'SIGKILL');
      }
    }

    host = await startHostProcess(env);
    expect((await get('/api/admin/plugins/spins')).body).toMatchObject({ state: 'disabled', enabled: false, error: { code: 'PLG_QUARANTINED' } });
    expect((await get('/api/admin/plugins/spins')).body.error.message).toContain('3 times in a row');
    expect((await fetch(`${host!.url}/api/plugins/echo/ping`)).status).toBe(200);
  }, 180_000);
});
