import type { ChildProcess } from 'node:child_process';
import { startHostProcess, stopProcess } from './support/processes';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeDb('quarantine after failed starts in a row', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string } | undefined;
  afterEach(async () => {
    if (host) await stopProcess(host.child, 'SIGKILL');
    host = undefined;
    await sandbox?.dispose();
  });

  const restart = async () => {
    if (host) await stopProcess(host.child);
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
  };
  const view = async (id: string) => (await (await fetch(`${host!.url}/api/admin/plugins/${id}`, { headers: auth })).json()) as any;

  it('leaves a plugin that threw in onModuleInit three starts in a row disabled at the next start, the reason in the admin API', async () => {
    sandbox = await TestSandbox.create(['init-throws', 'echo']);
    await restart();
    const enable = async (id: string) =>
      fetch(`${host!.url}/api/admin/plugins/${id}/enabled`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true, acceptRisk: true }) });
    expect((await enable('echo')).status).toBe(200);
    expect((await enable('init-throws')).status).toBeGreaterThanOrEqual(400);

    // The first failed start was at the enable; two restarts fail it again, and the third finds it quarantined.
    for (const failed of [2, 3]) {
      await restart();
      expect({ failed, plugin: await view('init-throws') }).toMatchObject({ failed, plugin: { enabled: true, state: 'failed', error: { code: 'PLG_START_FAILED' } } });
    }
    await restart();

    const plugin = await view('init-throws');
    expect(plugin).toMatchObject({ enabled: false, state: 'disabled', error: { code: 'PLG_QUARANTINED' } });
    expect(plugin.error.message).toContain("Plugin 'init-throws' failed to start 3 times in a row (last: PLG_START_FAILED:");
    expect(plugin.error.message).toContain('database of init-throws is unreachable');
    expect((await fetch(`${host!.url}/api/plugins/echo/ping`)).status).toBe(200);
    const audit = (await (await fetch(`${host!.url}/api/admin/audit`, { headers: auth })).json()) as any[];
    expect(audit.find((a) => a.action === 'disable' && a.pluginId === 'init-throws')).toMatchObject({ actor: 'system', outcome: 'ok', detail: { code: 'PLG_QUARANTINED' } });

    // An operator's enable tries it again, from a count of zero.
    expect((await enable('init-throws')).status).toBeGreaterThanOrEqual(400);
    await restart();
    expect(await view('init-throws')).toMatchObject({ enabled: true, state: 'failed', error: { code: 'PLG_START_FAILED' } });
  }, 180_000);
});
