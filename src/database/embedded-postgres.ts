import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** The file name the `pg` driver looks for in a socket folder (it adds the port). */
const SOCKET_NAME = '.s.PGSQL.5432';
/** Unix socket paths are limited to about 107 bytes; longer ones go to a private folder in the temp folder. */
const MAX_SOCKET_PATH_BYTES = 100;

// Plain JavaScript, run as a worker thread: PGlite executes queries synchronously in WebAssembly,
// so on the host's thread a long statement (a migration, pg_sleep, a big write) would stop HTTP.
const SERVER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { chmodSync } = require('node:fs');
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.socket);
(async () => {
  const db = await PGlite.create({ dataDir: workerData.pgdata });
  const server = new PGLiteSocketServer({ db, path: workerData.path, maxConnections: 64 });
  await server.start();
  chmodSync(workerData.path, 0o600);
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    await server.stop();
    await db.close();
    parentPort.postMessage({ stopped: true });
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

/**
 * PostgreSQL in WebAssembly (PGlite) kept in a folder, run in a worker thread and served on a Unix
 * socket inside the host's 0700 data folder, so that the ordinary `pg` driver and TypeORM reach it
 * like any server and no other OS user can (pglite-socket checks no password: the file system is
 * the lock). PGlite has one backend: queries from every connection run one at a time, and session
 * state (advisory locks, LISTEN) is shared.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
    private readonly privateSocketDir?: string,
  ) {}

  /** `pgdata`: the database files; `socketDir`: a folder only the host's user can enter. */
  static async start(pgdata: string, socketDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    chmodSync(pgdata, 0o700);
    let privateSocketDir: string | undefined;
    if (Buffer.byteLength(join(socketDir, SOCKET_NAME)) > MAX_SOCKET_PATH_BYTES) {
      privateSocketDir = mkdtempSync(join(tmpdir(), 'appnest-pg-'));
      chmodSync(privateSocketDir, 0o700);
      socketDir = privateSocketDir;
    }
    const path = join(socketDir, SOCKET_NAME);
    // A socket file left by a killed host would make listen() fail; the data folder is ours alone.
    rmSync(path, { force: true });
    const worker = new Worker(SERVER_SOURCE, {
      eval: true,
      workerData: { pgdata, path, pglite: require.resolve('@electric-sql/pglite'), socket: require.resolve('@electric-sql/pglite-socket') },
    });
    try {
      await message(worker, 'ready');
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new EmbeddedPostgres(worker, `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`, privateSocketDir);
  }

  async stop(): Promise<void> {
    const stopped = message(this.worker, 'stopped');
    this.worker.postMessage('stop');
    await stopped.catch(() => undefined);
    await this.worker.terminate();
    if (this.privateSocketDir) rmSync(this.privateSocketDir, { recursive: true, force: true });
  }
}

/** Resolves on the worker's `{ [key]: true }` message; rejects on its error or exit. */
function message(worker: Worker, key: 'ready' | 'stopped'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (m[key]) done(resolve);
      else if (m.error) done(() => reject(new Error(`The embedded database did not start: ${String(m.error)}`)));
    };
    const onExit = (code: number) => done(() => reject(new Error(`The embedded database thread exited with code ${code}.`)));
    const done = (settle: () => void) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      settle();
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
