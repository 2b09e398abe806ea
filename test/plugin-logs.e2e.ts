import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeDb("a plugin's log lines", () => {
  let sandbox: TestSandbox;
  const lines = (text: string) => sandbox.logs.filter((line) => line.includes(text));

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['logs', 'echo']);
    await sandbox.start({ logLevel: 'info' });
    for (const id of ['logs', 'echo']) expect((await sandbox.enable(id)).status).toBe(200);
  });
  afterAll(() => sandbox?.dispose());

  it("shows a plugin's Logger.log() at info, under plugin:<id>", async () => {
    expect((await sandbox.request('GET', '/api/plugins/logs/hello')).body).toEqual({ hello: true });
    expect(lines('said hello')).toEqual([expect.stringMatching(/ INFO  \[plugin:logs\] LogsController: said hello$/)]);
    expect(lines('a detail nobody needs')).toEqual([]);
  });

  it("tags the lines of the plugin's tasks with plugin:<id>", async () => {
    for (let i = 0; i < 50 && lines('the warmup task ran').length === 0; i++) await sleep(20);
    expect(lines('the warmup task ran')).toEqual([expect.stringMatching(/ INFO  \[plugin:logs\] LogsTasks: the warmup task ran$/)]);
  });

  it("tags Nest's ExceptionsHandler line for the plugin's route with plugin:<id>", async () => {
    expect((await sandbox.request('GET', '/api/plugins/logs/boom')).status).toBe(500);
    expect(lines('the logs plugin failed on purpose')).toEqual([expect.stringMatching(/ ERROR \[plugin:logs\] ExceptionsHandler: the logs plugin failed on purpose$/)]);
  });

  it('tags them the same after a restart, where the plugins started at boot share one application', async () => {
    sandbox.logs.length = 0;
    await sandbox.start({ logLevel: 'info' });
    expect((await sandbox.request('GET', '/api/plugins/logs/hello')).status).toBe(200);
    for (let i = 0; i < 50 && lines('the warmup task ran').length === 0; i++) await sleep(20);
    expect(lines('said hello')).toEqual([expect.stringMatching(/\[plugin:logs\] LogsController: said hello$/)]);
    expect(lines('the warmup task ran')).toEqual([expect.stringMatching(/\[plugin:logs\] LogsTasks: the warmup task ran$/)]);
  });

  it("keeps Nest's own start-up lines out of info", () => {
    expect(lines('InstanceLoader')).toEqual([]);
    expect(lines('RouterExplorer')).toEqual([]);
  });
});
