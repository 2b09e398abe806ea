import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { runCli, startHostProcess, stopProcess } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

/** The environment of a terminal opened in a plugin folder: none of the host's variables. */
const BARE = { APPNEST_DATA_DIR: undefined, APPNEST_PLUGINS_DIR: undefined, APPNEST_FRONTEND_PLUGINS_DIR: undefined, APPNEST_ADMIN_TOKEN: undefined, DATABASE_URL: undefined, PORT: '0' };

describeDb('the CLI run inside a plugin folder', () => {
  let sandbox: TestSandbox;
  let pluginDir: string;
  let host: ChildProcess | undefined;
  beforeEach(async () => {
    sandbox = await TestSandbox.create(['echo']);
    pluginDir = join(sandbox.pluginsDir, 'echo');
  });
  afterEach(async () => {
    if (host) await stopProcess(host);
    host = undefined;
    await sandbox.dispose();
  });

  it('refuses to create a host there when none runs, for a command and for start, and leaves the folder as it was', async () => {
    const before = readdirSync(pluginDir).sort();
    for (const args of [['list'], ['enable', 'echo', '--accept-risk'], ['start']]) {
      const result = await runCli(args, BARE, join(pluginDir));
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(new RegExp(`^PLG_HOST_INSIDE_PLUGIN: 'appnest ${args[0]}' runs inside the plugin folder ${pluginDir}`, 'm'));
      expect(result.stderr).toMatch(/^hint: Start the host in its own folder/m);
    }
    expect(readdirSync(pluginDir).sort()).toEqual(before);
    expect(existsSync(join(pluginDir, 'data'))).toBe(false);
  });

  it('finds the host running above the plugin folder and changes it live', async () => {
    const started = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
    host = started.child;
    const enabled = await runCli(['enable', 'echo', '--accept-risk'], { ...BARE, APPNEST_ADMIN_TOKEN: ADMIN_TOKEN }, pluginDir);
    expect(enabled.stderr).not.toMatch(/PLG_/);
    expect(enabled).toMatchObject({ code: 0 });
    expect(await (await fetch(`${started.url}/api/plugins/echo/ping`)).json()).toEqual({ pong: true });
    const list = await runCli(['list'], { ...BARE, APPNEST_ADMIN_TOKEN: ADMIN_TOKEN }, pluginDir);
    expect(list.stdout).toMatch(/^echo\s+1\.0\.0\s+active\s+yes/m);
    expect(existsSync(join(pluginDir, 'data'))).toBe(false);
  });
});
