import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The file name the `pg` driver looks for in a socket folder (it adds the port). */
const SOCKET_NAME = '.s.PGSQL.5432';
/** Unix socket paths are limited to about 107 bytes; longer ones go to a private folder in the temp folder. */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * PostgreSQL in WebAssembly (PGlite) kept in a folder, served on a Unix socket inside the host's
 * 0700 data folder so that the ordinary `pg` driver and TypeORM reach it like any server, and no
 * other OS user can (pglite-socket checks no password: the file system is the lock). PGlite has
 * one backend: queries from every connection run one at a time, and session state (advisory
 * locks, LISTEN) is shared.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
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
    const socket = join(socketDir, SOCKET_NAME);
    // A socket file left by a killed host would make listen() fail; the data folder is ours alone.
    rmSync(socket, { force: true });
    // Loaded only when the embedded database is used, not on hosts with DATABASE_URL.
    const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
    const { PGLiteSocketServer } = require('@electric-sql/pglite-socket') as typeof import('@electric-sql/pglite-socket');
    const db = await PGlite.create({ dataDir: pgdata });
    const server = new PGLiteSocketServer({ db, path: socket, maxConnections: 64 });
    await server.start();
    chmodSync(socket, 0o600);
    return new EmbeddedPostgres(db, server, `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`, privateSocketDir);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.privateSocketDir) rmSync(this.privateSocketDir, { recursive: true, force: true });
  }
}
