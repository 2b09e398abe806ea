import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { startHostProcess, stopProcess } from './support/processes';
import { describeDb, POSTGRES_ADMIN_URL, TEST_DB } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function probe(url: string): Promise<{ status: number; body: { status: string; reason?: string } } | { refused: string }> {
  try {
    const res = await fetch(`${url}/api/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
  } catch (err) {
    return { refused: (err as Error).message };
  }
}

/** Probes readiness every 50 ms until `done` says so or `ms` pass; returns every answer. */
async function probeUntil(url: string, done: (answer: Awaited<ReturnType<typeof probe>>) => boolean, ms: number) {
  const answers: Awaited<ReturnType<typeof probe>>[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const answer = await probe(url);
    answers.push(answer);
    if (done(answer)) break;
    await sleep(50);
  }
  return answers;
}

describeDb('readiness of a host process over HTTP', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string } | undefined;
  afterEach(async () => {
    if (host) await stopProcess(host.child);
    host = undefined;
    await sandbox?.dispose();
  });

  it('answers 200 while serving, then 503 "stopping" from the moment it is told to stop until it closes its port', async () => {
    sandbox = await TestSandbox.create(['slow-migration']);
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
    expect(await probe(host.url)).toEqual({ status: 200, body: { status: 'ok' } });
    // An enable whose migration runs for 3 s holds the stop back, and the port stays open meanwhile.
    const enabling = fetch(`${host.url}/api/admin/plugins/slow-migration/enabled`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, acceptRisk: true }),
    }).catch(() => undefined);
    await sleep(500);
    const exited = stopProcess(host.child);
    const answers = await probeUntil(host.url, (answer) => 'refused' in answer, 15_000);
    await exited;
    await enabling;
    const refusals = answers.filter((answer) => 'status' in answer && answer.status === 503);
    // On the embedded database the migration holds its one connection: a probe asked just before the
    // stop may also find the database busy. Every other 503 says the host is stopping.
    const busy = (answer: (typeof answers)[number]) => TEST_DB === 'embedded' && 'body' in answer && (answer.body.reason ?? '').startsWith('The database does not answer');
    const stopping = refusals.filter((answer) => !busy(answer));
    expect(stopping.length).toBeGreaterThan(3);
    for (const answer of stopping) expect(answer).toEqual({ status: 503, body: { status: 'failed', reason: 'The host is stopping.' } });
    // Once 503, never 200 again: the first answers may still be 200 (the signal is not handled yet).
    const first503 = answers.findIndex((answer) => 'status' in answer && answer.status === 503);
    expect(answers.slice(first503).every((answer) => 'refused' in answer || answer.status === 503)).toBe(true);
    expect('refused' in answers[answers.length - 1]).toBe(true);
  }, 60_000);

  (TEST_DB === 'postgres' ? it : it.skip)(
    'answers 503 while its PostgreSQL database refuses connections, and 200 again once it accepts them',
    async () => {
      sandbox = await TestSandbox.create();
      host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
      const database = new URL(sandbox.config().databaseUrl!).pathname.slice(1);
      const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      try {
        expect(await probe(host.url)).toEqual({ status: 200, body: { status: 'ok' } });
        await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
        const { rows } = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
        expect(rows[0].n).toBeGreaterThan(0);
        const down = await probeUntil(host.url, (answer) => 'status' in answer && answer.status === 503, 10_000);
        expect(down[down.length - 1]).toEqual({ status: 503, body: { status: 'failed', reason: expect.stringMatching(/^The database does not answer: ./) } });
        // It stays unready while the database refuses: not one 200 in a second of probes.
        const still = await probeUntil(host.url, (answer) => 'status' in answer && answer.status === 200, 1000);
        expect(still.every((answer) => 'status' in answer && answer.status === 503)).toBe(true);
        expect(still.at(-1)).toEqual({ status: 503, body: { status: 'failed', reason: expect.stringContaining('not currently accepting connections') } });
        const live = await fetch(`${host.url}/api/health/live`);
        expect(live.status).toBe(200);
        await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`);
        const up = await probeUntil(host.url, (answer) => 'status' in answer && answer.status === 200, 10_000);
        expect(up[up.length - 1]).toEqual({ status: 200, body: { status: 'ok' } });
      } finally {
        await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
        await admin.end();
      }
    },
    60_000,
  );
});
