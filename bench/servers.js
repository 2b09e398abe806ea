'use strict';
// Starting the two contenders for one scenario: the appnest host (dist/src/main.js) and the static
// app, each on a free port, against the scenario's database.
const { freePort, startNode, waitForOk, rssMb } = require('./processes');

const ADMIN_TOKEN = 'bench-admin-token';

function extraNodeArgs(name) {
  const value = process.env[name];
  return value ? value.split(' ').filter(Boolean) : [];
}

function appnestEnv(sc, port) {
  return {
    ...process.env,
    PORT: String(port),
    // '' means unset for the host: the embedded PGlite under the data folder.
    DATABASE_URL: sc.appnestDbUrl ?? '',
    APPNEST_DATA_DIR: sc.appnestDataDir,
    APPNEST_PLUGINS_DIR: sc.pluginsDir,
    APPNEST_FRONTEND_PLUGINS_DIR: sc.frontendPluginsDir,
    APPNEST_ADMIN_TOKEN: ADMIN_TOKEN,
    APPNEST_LOG_LEVEL: 'warn',
  };
}

function staticEnv(sc, port) {
  const env = { ...process.env, PORT: String(port), STATIC_ASSETS_DIR: sc.pluginsDir, STATIC_PGLITE_DIR: sc.staticPgliteDir };
  if (sc.staticDbUrl) env.DATABASE_URL = sc.staticDbUrl;
  else delete env.DATABASE_URL;
  return env;
}

/**
 * Starts a server (on the CPUs `cpus` lists, when given) and waits until `probePath` answers 200. Returns the running server with its
 * base url, boot time (spawn to first 200, ms) and resident memory right after.
 */
async function boot(side, sc, probePath, { nodeArgs = [], env = {}, cpus } = {}) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const server =
    side === 'appnest'
      ? startNode([...extraNodeArgs('BENCH_HOST_NODE_ARGS'), ...nodeArgs, sc.host.entry], { env: { ...appnestEnv(sc, port), ...env }, cwd: sc.dir, name: 'appnest host', cpus })
      : startNode([sc.staticApp.entry], { env: staticEnv(sc, port), cwd: sc.dir, name: 'static app', cpus });
  server.url = `http://127.0.0.1:${port}`;
  try {
    server.bootMs = await waitForOk(server, server.url + probePath, started);
    server.bootRss = rssMb(server.pid);
  } catch (err) {
    server.stopping = true;
    server.child.kill('SIGKILL');
    throw err;
  }
  return server;
}

const authHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

module.exports = { boot, authHeaders, ADMIN_TOKEN };
