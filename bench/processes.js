'use strict';
// Server processes the bench starts: spawn, wait for the first 200, read resident memory, stop.
// Every child is tracked and killed when the bench exits, whatever the reason.
const { spawn, spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const { request } = require('./http-client');

const children = new Set();

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);

/** A free TCP port on the loopback interface. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <args>` (on the CPUs `cpus` lists, e.g. '1', when given); keeps the last 16 kB of its output for error messages. */
function startNode(args, { env, cwd, name, cpus }) {
  // taskset executes node in its own process: the pid is node's.
  const [command, argv] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = { child, name, pid: child.pid, output: '', exited: false, exitCode: null };
  const keep = (chunk) => {
    server.output = (server.output + chunk.toString()).slice(-16384);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  server.exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      server.exited = true;
      server.exitCode = code ?? signal;
      if (!server.stopping) {
        server.unexpectedExit = `${name} (pid ${child.pid}) exited on its own (${server.exitCode}); its last output:\n${server.output.slice(-3000)}`;
        process.stderr.write(`\nwarning: ${server.unexpectedExit}\n`);
      }
      children.delete(child);
      resolve();
    });
  });
  children.add(child);
  return server;
}

/** Polls `url` until it answers 200; returns the milliseconds since `since`. */
async function waitForOk(server, url, since, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exited) throw new Error(`${server.name} exited (${server.exitCode}) before ${url} answered:\n${server.output}`);
    try {
      const res = await request('GET', url, { timeoutMs: 2000 });
      if (res.status === 200) return Number(process.hrtime.bigint() - since) / 1e6;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms; ${server.name} output:\n${server.output}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Resident memory of a process in MB, from /proc/<pid>/status VmRSS. */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)[1]);
  return kb / 1024;
}

/** Whether processes can be given CPUs of their own here: Linux's taskset, and two CPUs or more. */
function canPin() {
  return os.cpus().length >= 2 && spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Runs `fn` with every thread of this process on the CPUs `cpus` lists, then gives it back its CPUs. */
async function pinnedSelf(cpus, fn) {
  const mask = /:\s*([0-9a-f]+)\s*$/i.exec(spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).stdout ?? '')?.[1];
  const set = (args) => {
    const r = spawnSync('taskset', ['-a', '-p', ...args, String(process.pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`taskset ${args.join(' ')} failed: ${r.stderr}`);
  };
  set(['-c', cpus]);
  try {
    return await fn();
  } finally {
    if (mask) set([mask]);
  }
}

/** CPU time (user + system) a process has used, in ms: /proc/<pid>/stat counts in USER_HZ ticks, 100 a second on Linux. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
async function stopServer(server, graceMs = 20_000) {
  if (server.exited) return;
  server.stopping = true;
  server.child.kill('SIGTERM');
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(r, graceMs, 'timeout')));
  const outcome = await Promise.race([server.exit, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    process.stderr.write(`warning: ${server.name} (pid ${server.pid}) did not exit within ${graceMs} ms of SIGTERM; killed\n`);
    server.child.kill('SIGKILL');
    await server.exit;
  }
}

module.exports = { freePort, startNode, waitForOk, rssMb, cpuMs, stopServer, killAll, canPin, pinnedSelf };
