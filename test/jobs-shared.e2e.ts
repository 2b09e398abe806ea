import { sleep, until } from './support/wait';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const OWNER = 'shared-queue-owner';
const SENDER = 'shared-queue-sender';

describeDb('a job queue shared between plugins', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  const rendered = async (): Promise<{ jobId: string; image: string }[]> => (await sandbox.request('GET', `/api/plugins/${OWNER}/rendered`, undefined, null)).body;
  const sendTo = (target: string, inTransaction = false) => sandbox.request('POST', `/api/plugins/${SENDER}/send-to`, { target, inTransaction }, null);

  beforeEach(async () => {
    sandbox = await TestSandbox.create([OWNER, SENDER]);
    await sandbox.start();
    expect((await sandbox.enable(OWNER)).status).toBe(200);
    expect((await sandbox.enable(SENDER)).status).toBe(200);
  });

  it("runs a job another plugin sends to the shared queue in the owner's handler, also sent inside the sender's transaction", async () => {
    const sent = await sandbox.request('POST', `/api/plugins/${SENDER}/uploads`, { image: 'cat.png' }, null);
    expect(sent.status).toBe(201);
    expect(await until(async () => ((await rendered()).length === 1 ? rendered() : null))).toEqual([{ jobId: sent.body.jobId, image: 'cat.png' }]);
    const [job] = await sandbox.host!.db.dataSource.query('SELECT name FROM pgboss.job WHERE id = $1', [sent.body.jobId]);
    expect(job.name).toBe(`${OWNER}.render`);

    const inTransaction = await sendTo(`${OWNER}.render`, true);
    expect(inTransaction.body.jobId).toEqual(expect.any(String));
    await until(async () => (await rendered()).some((r) => r.jobId === inTransaction.body.jobId));
  });

  it('refuses a queue not shared with the sender, naming both plugins, and a queue that does not exist', async () => {
    const own = await sendTo(`${OWNER}.cleanup`);
    expect(own.body.refused).toEqual({
      code: 'PLG_JOB_QUEUE_NOT_SHARED',
      message: `Plugin '${SENDER}' may not send jobs to '${OWNER}.cleanup': plugin '${OWNER}' does not share it.`,
    });
    const listed = await sendTo(`${OWNER}.audit`, true);
    expect(listed.body.refused.message).toBe(`Plugin '${SENDER}' may not send jobs to '${OWNER}.audit': plugin '${OWNER}' shares it with 'shared-queue-auditor' only.`);

    const missing = await sendTo(`${OWNER}.nothing`);
    expect(missing.body.refused).toMatchObject({ code: 'PLG_JOB_QUEUE_UNKNOWN', message: expect.stringContaining(`plugin '${OWNER}' has no job queue 'nothing'`) });
    const malformed = await sendTo('render');
    expect(malformed.body.refused).toMatchObject({ code: 'PLG_JOB_QUEUE_UNKNOWN', message: expect.stringContaining("not a queue name of the form '<plugin id>.<queue>'") });
    const db = sandbox.host!.db.dataSource;
    expect(await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE '${OWNER}.%'`)).toEqual([{ n: 0 }]);
  });

  it('keeps the jobs sent while the owner is disabled until it is enabled again; after a purge the queue is gone', async () => {
    expect((await sandbox.disable(OWNER)).status).toBe(200);
    const sent = await sandbox.request('POST', `/api/plugins/${SENDER}/uploads`, { image: 'dog.png' }, null);
    expect(sent.status).toBe(201);
    await sleep(1500);
    const db = sandbox.host!.db.dataSource;
    expect(await db.query('SELECT state::text AS state FROM pgboss.job WHERE id = $1', [sent.body.jobId])).toEqual([{ state: 'created' }]);

    expect((await sandbox.enable(OWNER)).status).toBe(200);
    expect(await until(async () => ((await rendered()).length === 1 ? rendered() : null))).toEqual([{ jobId: sent.body.jobId, image: 'dog.png' }]);

    expect((await sandbox.request('DELETE', `/api/admin/plugins/${OWNER}?purge=true`)).status).toBe(200);
    expect(await db.query('SELECT count(*)::int AS n FROM appnest_job_shared_queues')).toEqual([{ n: 0 }]);
    expect((await sendTo(`${OWNER}.render`)).body.refused).toMatchObject({ code: 'PLG_JOB_QUEUE_UNKNOWN' });
  });
});
