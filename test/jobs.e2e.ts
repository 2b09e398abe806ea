import { sleep, until } from './support/wait';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/processes';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const ID = 'jobs-worker';

interface Run {
  job_id: string;
  queue: string;
  event: string;
  version: string;
  payload: any;
  at: Date;
}

async function runs(sandbox: TestSandbox, queue: string): Promise<Run[]> {
  return sandbox.host!.db.dataSource.query('SELECT * FROM jobs_worker_runs WHERE queue = $1 ORDER BY id', [queue]);
}

const send = (sandbox: TestSandbox, queue: string, body: object = {}) => sandbox.request('POST', `/api/plugins/${ID}/send/${queue}`, body, null);
const jobs = (sandbox: TestSandbox, id = ID) => sandbox.request('GET', `/api/admin/plugins/${id}/jobs`);

describeDb('background jobs', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  async function active(overrides = {}) {
    sandbox = await TestSandbox.create([ID]);
    await sandbox.start(overrides);
    expect((await sandbox.enable(ID)).status).toBe(200);
  }

  it('runs a job sent from a plugin route once, on the queue named after the plugin', async () => {
    await active();
    const sent = await send(sandbox, 'record', { data: { key: 'a' } });
    expect(sent.status).toBe(201);

    const [run] = (await until(() => runs(sandbox, 'record').then((r) => (r.length ? r : null))))!;
    expect(run).toMatchObject({ job_id: sent.body.id, event: 'done', payload: { key: 'a' } });
    const [job] = await sandbox.host!.db.dataSource.query('SELECT name FROM pgboss.job WHERE id = $1', [sent.body.id]);
    expect(job.name).toBe('jobs-worker.record');
    await sleep(500);
    expect(await runs(sandbox, 'record')).toHaveLength(1);
  });

  it('refuses a job for a queue the plugin declares no handler for, naming the plugin', async () => {
    await active();
    await expect(sandbox.host!.jobs.send(ID, 'nowhere', {}, {})).rejects.toMatchObject({ code: 'PLG_JOB_QUEUE_UNKNOWN', pluginId: ID });
    await expect(sandbox.host!.jobs.send('jobs-counter', 'record', {}, {})).rejects.toMatchObject({ code: 'PLG_JOB_QUEUE_UNKNOWN' });
  });

  it('retries a failing job with a growing backoff until it succeeds', async () => {
    await active();
    await send(sandbox, 'flaky', { data: { succeedOn: 2 } });

    const attempts = (await until(() => runs(sandbox, 'flaky').then((r) => (r.some((x) => x.event === 'done') ? r : null)), 20_000))!;
    expect(attempts.map((r) => r.event)).toEqual(['attempt-0', 'attempt-1', 'attempt-2', 'done']);
    const at = attempts.map((r) => new Date(r.at).getTime());
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(1000);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(2000);
    expect(sandbox.logs.some((line) => line.includes(`Plugin '${ID}': job 'flaky'`) && line.includes('flaky failure on attempt 0'))).toBe(true);
  });

  it('dead-letters a job out of retries, lists the failure with its error, and runs it again on retry', async () => {
    await active();
    const sent = await send(sandbox, 'doomed');

    await until(() => runs(sandbox, 'doomed').then((r) => r.length === 2), 15_000);
    const summary = await until(async () => {
      const reply = await jobs(sandbox);
      const doomed = reply.body.queues.find((q: any) => q.queue === 'doomed');
      return doomed?.failed === 1 && doomed.deadLettered === 1 ? reply.body : null;
    });
    expect(summary.recentFailures[0]).toMatchObject({ id: sent.body.id, queue: 'doomed', state: 'failed', error: 'doomed to fail' });
    expect((await sandbox.request('GET', '/api/health')).status).toBe(200);

    const retried = await sandbox.request('POST', `/api/admin/plugins/${ID}/jobs/${sent.body.id}/retry`);
    expect(retried.status).toBe(200);
    await until(() => runs(sandbox, 'doomed').then((r) => r.length >= 3), 15_000);
  });

  it('follows one job through the admin API, and lists and cancels jobs with appnest jobs', async () => {
    await active();
    const sent = await send(sandbox, 'record', { data: { key: 'followed' } });
    const followed = await until(async () => {
      const job = (await sandbox.request('GET', `/api/admin/plugins/${ID}/jobs/${sent.body.id}`)).body;
      return job.state === 'completed' ? job : null;
    });
    expect(followed).toMatchObject({ id: sent.body.id, queue: 'record', retryCount: 0, error: '' });

    const listed = await runCli(['jobs', ID], sandbox.env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^QUEUE\s+QUEUED\s+ACTIVE\s+COMPLETED\s+FAILED\s+DEAD-LETTERED$/m);
    expect(listed.stdout).toMatch(/^record\s+0\s+0\s+1\s+0\s+0$/m);

    await sandbox.disable(ID);
    const waiting = await sandbox.host!.jobs.send(ID, 'record', { key: 'cancelled' }, {});
    const cancelled = await runCli(['jobs', ID, '--cancel', waiting!], sandbox.env());
    expect(cancelled.stdout).toContain(`Cancelled job ${waiting} of '${ID}' (queue 'record').`);
    expect((await sandbox.request('GET', `/api/admin/plugins/${ID}/jobs/${waiting}`)).body.state).toBe('cancelled');
    const unknown = await runCli(['jobs', ID, '--retry', 'nope'], sandbox.env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^PLG_JOB_NOT_FOUND: Plugin 'jobs-worker' has no job 'nope'/m);
  });

  it('shows the progress a handler reports, to the admin API and appnest jobs, and 100 once completed', async () => {
    await active();
    const sent = await send(sandbox, 'steps', { data: { percents: [30, 80.9, 95] } });
    const job = (jobId: string) => sandbox.request('GET', `/api/admin/plugins/${ID}/jobs/${jobId}`).then((r) => r.body);
    expect(await until(async () => ((await job(sent.body.id)).progress === 30 ? true : null))).toBe(true);
    expect(await job(sent.body.id)).toMatchObject({ state: 'active', progress: 30 });

    const summary = (await jobs(sandbox)).body;
    expect(summary.activeJobs).toEqual([{ id: sent.body.id, queue: 'steps', retryCount: 0, startedAt: expect.any(String), progress: 30 }]);
    const listed = await runCli(['jobs', ID], sandbox.env());
    expect(listed.stdout).toContain('Running:');
    expect(listed.stdout).toMatch(new RegExp(`^\\s+${sent.body.id}\\s+steps\\s+30%$`, 'm'));

    // the next step: 80.9 is kept as 80, read back on every instance from the database
    const next = await sandbox.request('POST', `/api/plugins/${ID}/steps/next`, {}, null);
    expect(next.body).toEqual({ released: true });
    await until(async () => ((await job(sent.body.id)).progress === 80 ? true : null));
    const db = sandbox.host!.db.dataSource;
    expect(await db.query('SELECT plugin_id, attempt, percent FROM appnest_job_progress WHERE job_id = $1', [sent.body.id])).toEqual([{ plugin_id: ID, attempt: 0, percent: 80 }]);

    await sandbox.request('POST', `/api/plugins/${ID}/steps/next`, {}, null);
    await until(async () => ((await job(sent.body.id)).state === 'completed' ? true : null));
    expect(await job(sent.body.id)).toMatchObject({ state: 'completed', progress: 100 });
    expect(await db.query('SELECT count(*)::int AS n FROM appnest_job_progress')).toEqual([{ n: 0 }]);

    // a job waiting to run has no progress yet
    await sandbox.disable(ID);
    const waiting = await sandbox.host!.jobs.send(ID, 'record', {}, {});
    expect(await job(waiting!)).toMatchObject({ state: 'created', progress: null });
  });

  it('fails the attempt of a handler that reports a progress out of 0-100, saying so', async () => {
    await active();
    const sent = await send(sandbox, 'steps', { data: { percents: [150] } });
    const failed = await until(async () => {
      const body = (await sandbox.request('GET', `/api/admin/plugins/${ID}/jobs/${sent.body.id}`)).body;
      return body.state === 'failed' ? body : null;
    });
    expect(failed.error).toBe(`Plugin '${ID}': job ${sent.body.id} reported progress 150, which is not a number from 0 to 100.`);
  });

  it('cancels a waiting job, and refuses a job id of another plugin or none', async () => {
    await active();
    await sandbox.disable(ID);
    const id = await sandbox.host!.jobs.send(ID, 'record', { key: 'never' }, {});
    const cancelled = await sandbox.request('POST', `/api/admin/plugins/${ID}/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    await sandbox.enable(ID);
    await sleep(1500);
    expect(await runs(sandbox, 'record')).toHaveLength(0);

    const unknown = await sandbox.request('POST', `/api/admin/plugins/${ID}/jobs/00000000-0000-0000-0000-000000000000/retry`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'PLG_JOB_NOT_FOUND', pluginId: ID });
  });

  it('queues one job per singleton key in its time slot', async () => {
    await active();
    await sandbox.disable(ID);
    const hourly = { singletonKey: 'nightly', singletonSeconds: 3600 };
    const first = await sandbox.host!.jobs.send(ID, 'record', { key: 'one' }, hourly);
    const second = await sandbox.host!.jobs.send(ID, 'record', { key: 'two' }, hourly);
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
    await sandbox.enable(ID);
    await until(() => runs(sandbox, 'record').then((r) => r.length === 1));
    await sleep(1000);
    expect((await runs(sandbox, 'record')).map((r) => r.payload.key)).toEqual(['one']);
  });

  it('coalesces sends made together into one statement; each caller gets its own id, or null for a taken singleton slot', async () => {
    await active();
    await sandbox.disable(ID); // the jobs wait, so the order they then run in is the queue's
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const options: Record<string, object> = {
      b: { singletonKey: 'once', singletonSeconds: 3600 },
      d: { singletonKey: 'once', singletonSeconds: 3600 },
      g: { startAfterSeconds: 3600 },
      h: { priority: 5 },
    };
    // what JobQueue.send calls, made together (the plugin's own route is down while it is disabled)
    const ids = await Promise.all(keys.map((key) => sandbox.host!.jobs.send(ID, 'record', { key }, options[key] ?? {})));
    expect(ids[3]).toBeNull(); // d: the slot of 'once' is b's
    const given = ids.filter((id): id is string => id !== null);
    expect(given).toHaveLength(7);
    expect(new Set(given).size).toBe(7);

    const db = sandbox.host!.db.dataSource;
    const rows: { id: string; key: string; created_on: Date }[] = await db.query(`SELECT id::text AS id, data->>'key' AS key, created_on FROM pgboss.job WHERE name = 'jobs-worker.record'`);
    // each caller's id is the job of its own data
    expect(Object.fromEntries(rows.map((r) => [r.id, r.key]))).toEqual(Object.fromEntries(keys.flatMap((key, i) => (ids[i] ? [[ids[i], key]] : []))));
    // one statement wrote them all
    expect(new Set(rows.map((r) => new Date(r.created_on).getTime())).size).toBe(1);

    // sends awaited one after the other are as many statements, in their order
    for (const key of ['s1', 's2', 's3']) await sandbox.host!.jobs.send(ID, 'record', { key }, {});

    await sandbox.enable(ID);
    await until(() => runs(sandbox, 'record').then((r) => r.length === 9));
    await sleep(1000);
    const ran = (await runs(sandbox, 'record')).map((r) => r.payload.key);
    // the higher priority first; jobs written by one statement have no order among them; g waits an hour
    expect(ran[0]).toBe('h');
    expect(ran.slice(1, 6).sort((a, b) => a.localeCompare(b))).toEqual(['a', 'b', 'c', 'e', 'f']);
    expect(ran.slice(6)).toEqual(['s1', 's2', 's3']);
  });

  it('fails only the bad send of a batch, with its own error', async () => {
    await active();
    const sends = [{ data: { key: 'x1' } }, { data: { key: 'nul \u0000 in jsonb' } }, { data: { key: 'x2' } }, { data: { key: 'x3' }, options: { priority: 1.5 } }, { data: { key: 'x4' } }];
    const sent = await sandbox.request('POST', `/api/plugins/${ID}/send-all/record`, { sends }, null);
    expect(sent.status).toBe(201);
    const [x1, nul, x2, x3, x4] = sent.body;
    for (const ok of [x1, x2, x4]) expect(ok.id).toEqual(expect.any(String));
    expect(nul).toMatchObject({ code: 'PLG_JOB_SEND_FAILED', message: expect.stringMatching(/^Plugin 'jobs-worker' could not queue a job on 'record': .*unicode/i) });
    expect(x3).toMatchObject({ code: 'PLG_JOB_SEND_INVALID', message: "Plugin 'jobs-worker' sends a job to 'record' with priority 1.5 that is not a whole number (32-bit)." });
    const done = (await until(() => runs(sandbox, 'record').then((r) => (r.length === 3 ? r : null))))!;
    expect(done.map((r) => r.job_id).sort((a, b) => a.localeCompare(b))).toEqual([x1.id, x2.id, x4.id].sort((a, b) => a.localeCompare(b)));
  });

  it('writes the job with the transaction that sent it: a rollback leaves neither the row nor the job', async () => {
    await active();
    const failed = await sandbox.request('POST', `/api/plugins/${ID}/notes`, { title: 'lost', fail: true }, null);
    expect(failed.body).toEqual({ rolledBack: 'rolled back on purpose' });
    const kept = await sandbox.request('POST', `/api/plugins/${ID}/notes`, { title: 'kept' }, null);
    expect(kept.body.jobId).toEqual(expect.any(String));

    await until(() => runs(sandbox, 'record').then((r) => r.length === 1));
    await sleep(1000);
    const db = sandbox.host!.db.dataSource;
    expect((await db.query('SELECT title FROM jobs_worker_notes')).map((r: any) => r.title)).toEqual(['kept']);
    expect((await runs(sandbox, 'record')).map((r) => r.payload.key)).toEqual(['kept']);
    expect(await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'jobs-worker.record'`)).toEqual([{ n: 1 }]);
  });

  it('fails a handler past its timeout and retries it, logged with the plugin id', async () => {
    await active();
    await send(sandbox, 'slow', { data: { ms: 60_000 } });

    await until(() => runs(sandbox, 'slow').then((r) => r.length === 2), 15_000);
    const summary = await until(async () => {
      const body = (await jobs(sandbox)).body;
      return body.queues.find((q: any) => q.queue === 'slow')?.failed === 1 ? body : null;
    }, 10_000);
    expect(summary.recentFailures[0].error).toContain('ran past its 2 s timeout');
    expect(sandbox.logs.some((line) => line.includes(`Plugin '${ID}': job 'slow'`) && line.includes('timeout'))).toBe(true);
  });

  it('disable waits for a running job and takes no new one; re-enable runs the jobs that waited', async () => {
    await active();
    await send(sandbox, 'slow', { data: { ms: 1200 } });
    await until(() => runs(sandbox, 'slow').then((r) => r.length === 1));

    expect((await sandbox.disable(ID)).status).toBe(200);
    expect((await runs(sandbox, 'slow')).map((r) => r.event)).toEqual(['started', 'done']);
    await sandbox.host!.jobs.send(ID, 'record', { key: 'while disabled' }, {});
    await sleep(1500);
    expect(await runs(sandbox, 'record')).toHaveLength(0);

    await sandbox.enable(ID);
    await until(() => runs(sandbox, 'record').then((r) => r.length === 1));
  });

  it('stops waiting for a running job after the job drain timeout', async () => {
    await active({ jobDrainTimeoutMs: 300 });
    await send(sandbox, 'slow', { data: { ms: 1800 } });
    await until(() => runs(sandbox, 'slow').then((r) => r.length === 1));

    const began = Date.now();
    await sandbox.disable(ID);
    expect(Date.now() - began).toBeLessThan(1500);
    expect(sandbox.logs.some((line) => line.includes(`Plugin '${ID}': 1 job(s) still running after 300 ms`))).toBe(true);
  });

  it('keeps the jobs queued before an upgrade and runs them on the new version', async () => {
    await active();
    await sandbox.disable(ID);
    for (const key of ['a', 'b', 'c']) await sandbox.host!.jobs.send(ID, 'record', { key }, {});
    const dir = join(sandbox.pluginsDir, ID);
    writeFileSync(join(dir, 'job-runs.service.ts'), readFileSync(join(dir, 'job-runs.service.ts'), 'utf8').replace("VERSION = 'v1'", "VERSION = 'v2'"));
    writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ id: ID, name: 'Jobs worker', version: '1.1.0' }));
    await sandbox.request('POST', '/api/admin/plugins/reload');

    await sandbox.enable(ID);
    const done = (await until(() => runs(sandbox, 'record').then((r) => (r.length === 3 ? r : null))))!;
    expect(done.map((r) => r.version)).toEqual(['v2', 'v2', 'v2']);
  });

  it('uninstall --purge deletes the plugin queues with their jobs', async () => {
    await active();
    await sandbox.disable(ID);
    await sandbox.host!.jobs.send(ID, 'record', { key: 'left' }, {});
    const db = sandbox.host!.db.dataSource;
    expect((await db.query(`SELECT count(*)::int AS n FROM pgboss.queue WHERE name LIKE 'jobs-worker.%'`))[0].n).toBeGreaterThan(0);

    expect((await sandbox.request('DELETE', `/api/admin/plugins/${ID}?purge=true`)).status).toBe(200);
    expect(await db.query(`SELECT count(*)::int AS n FROM pgboss.queue WHERE name LIKE 'jobs-worker.%'`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'jobs-worker.%'`)).toEqual([{ n: 0 }]);
  });

  it('runs the jobs of plugins sharing one application, and stops only the workers of the one disabled', async () => {
    sandbox = await TestSandbox.create([ID, 'jobs-counter']);
    await sandbox.start();
    await sandbox.enable(ID);
    await sandbox.enable('jobs-counter');
    await sandbox.start(); // at boot, both start in one application
    expect(sandbox.host!.reconciler.activations.get(ID)!.app).toBe(sandbox.host!.reconciler.activations.get('jobs-counter')!.app);

    await sandbox.request('POST', '/api/plugins/jobs-counter/count', {}, null);
    await send(sandbox, 'record', { data: { key: 'shared' } });
    await until(async () => (await sandbox.request('GET', '/api/plugins/jobs-counter/count', undefined, null)).body.count === 1);
    await until(() => runs(sandbox, 'record').then((r) => r.length === 1));

    await sandbox.disable(ID);
    await sandbox.host!.jobs.send(ID, 'record', { key: 'waits' }, {});
    await sandbox.request('POST', '/api/plugins/jobs-counter/count', {}, null);
    await until(async () => (await sandbox.request('GET', '/api/plugins/jobs-counter/count', undefined, null)).body.count === 2);
    await sleep(1000);
    expect(await runs(sandbox, 'record')).toHaveLength(1);
  });
});
