import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';

function pgliteVersion(): string {
  for (let dir = dirname(require.resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
  }
  return 'unknown';
}

/**
 * Puts an empty embedded database into `pgdata`: a copy of one created once per PGlite version
 * (creating one takes seconds, copying it milliseconds).
 */
export async function seedEmbeddedDatabase(pgdata: string): Promise<void> {
  const template = join(tmpdir(), 'appnest-cli-cache', `pglite-${pgliteVersion()}`);
  if (!existsSync(template)) {
    const partial = `${template}.${process.pid}.tmp`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const db = await PGlite.create({ dataDir: partial });
    await db.query('select 1');
    await db.close();
    try {
      renameSync(partial, template);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  cpSync(template, pgdata, { recursive: true });
}

/** A database of its own on a PostgreSQL server, dropped afterwards. */
export class TempDatabase {
  private constructor(
    private readonly serverUrl: string,
    private readonly name: string,
    readonly url: string,
  ) {}

  static async create(serverUrl: string): Promise<TempDatabase> {
    const name = `appnest_test_${randomBytes(6).toString('hex')}`;
    await TempDatabase.admin(serverUrl, `CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return new TempDatabase(serverUrl, name, url.toString());
  }

  drop(): Promise<void> {
    return TempDatabase.admin(this.serverUrl, `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  private static async admin(serverUrl: string, sql: string): Promise<void> {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
