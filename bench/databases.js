'use strict';
// Fresh PostgreSQL databases for one scenario on the local cluster, dropped afterwards.
const { Client } = require('pg');

const ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const created = new Set();

async function withAdmin(work) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database; returns its URL. */
async function createDatabase(name) {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  created.add(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name) {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  created.delete(name);
}

/** Drops every database this process created and has not dropped yet. */
async function dropAll() {
  for (const name of created) await dropDatabase(name).catch(() => undefined);
}

/** true when the cluster answers. */
async function postgresAvailable() {
  try {
    await withAdmin((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

module.exports = { createDatabase, dropDatabase, dropAll, postgresAvailable };
