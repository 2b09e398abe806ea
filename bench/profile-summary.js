'use strict';
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): CPU time by package or source folder, the
// busiest functions (self time), the host's own functions with what they call, and idle time (waiting on I/O: database round trips, timers).
//   node bench/profile-summary.js <file.cpuprofile> [--until-ms=N] [--top=N]
const { readFileSync } = require('node:fs');

function area(url) {
  if (!url) return '(native / V8)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  const dist = /\/dist\/(src\/[^/]+|migrations)\//.exec(path);
  if (dist) return `host ${dist[1]}`;
  if (path.startsWith('node:')) return 'node core';
  if (/\/plugins\/|\/modules\//.test(path)) return 'plugin code';
  return path.split('/').slice(-2).join('/');
}

function summarise(profile, untilMs = Infinity, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] / 1000;
    if (t > untilMs) break;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  const areas = new Map();
  const functions = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id);
    total += ms;
    const a = callFrame.functionName === '(idle)' ? '(idle: waiting on I/O or timers)' : callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : area(callFrame.url);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  // Inclusive time of the host's own functions (dist/src), children included, to see which host
  // code a cost comes from (e.g. the lstat calls under an asset request).
  const children = new Map(profile.nodes.map((n) => [n.id, n.children ?? []]));
  const inclusive = (id) => (self.get(id) ?? 0) + children.get(id).reduce((a, c) => a + inclusive(c), 0);
  const host = new Map();
  const visit = (id, inHost) => {
    const { callFrame } = byId.get(id);
    const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`;
    const isHost = /\/dist\/src\//.test(callFrame.url);
    if (isHost && !inHost.has(key)) host.set(key, (host.get(key) ?? 0) + inclusive(id));
    const next = isHost ? new Set([...inHost, key]) : inHost;
    for (const c of children.get(id)) visit(c, next);
  };
  visit(profile.nodes[0].id, new Set());
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, areas: sorted(areas), functions: sorted(functions).slice(0, top), hostInclusive: sorted(host).slice(0, top) };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/profile-summary.js <file.cpuprofile> [--until-ms=N] [--top=N]');
  const arg = (name, fallback) => Number((process.argv.find((a) => a.startsWith(`--${name}=`)) ?? `=${fallback}`).split('=')[1]);
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), arg('until-ms', Infinity), arg('top', 25));
  console.log(`profile: ${s.totalMs.toFixed(0)} ms sampled\n\nby area:`);
  for (const [a, ms] of s.areas.slice(0, 20)) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${a}`);
  console.log('\nbusiest functions (self time):');
  for (const [f, ms] of s.functions) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${f}`);
  console.log('\nhost functions (dist/src), time including what they call:');
  for (const [f, ms] of s.hostInclusive) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${f}`);
}

module.exports = { summarise };
