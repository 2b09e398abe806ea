'use strict';
// A profiling aid, preloaded into the host: `node -r ./bench/phase-timer.js dist/src/main.js`.
// Wraps the methods of the classes and the functions that host files (dist/src/**) export, and at
// exit (and on SIGUSR2) prints, for each, how many calls, their summed wall time (async calls until they settle)
// and when the first call started / the last one ended (ms since process start). Nested calls are
// counted in their callers too. Controllers, guards, filters and the SDK are left alone (Nest reads
// metadata from their methods); so is the request path (every `handle` method).
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const SKIP_FILES = /(controller|guard|filter|sdk|host-logger|plugin-error)/;
const SKIP_METHODS = new Set(['constructor', 'handle', 'child', 'forNest']);
const stats = new Map();

function record(name, started) {
  const ended = performance.now();
  const s = stats.get(name) ?? { calls: 0, ms: 0, first: started, last: ended };
  s.calls++;
  s.ms += ended - started;
  s.last = Math.max(s.last, ended);
  s.first = Math.min(s.first, started);
  stats.set(name, s);
}

function timed(name, fn) {
  const wrapper = function (...args) {
    const started = performance.now();
    let result;
    try {
      result = fn.apply(this, args);
    } catch (err) {
      record(name, started);
      throw err;
    }
    if (result && typeof result.then === 'function') {
      return result.then(
        (v) => (record(name, started), v),
        (e) => {
          record(name, started);
          throw e;
        },
      );
    }
    record(name, started);
    return result;
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper;
}

function wrapClass(cls) {
  for (const target of [cls.prototype, cls]) {
    for (const key of Object.getOwnPropertyNames(target)) {
      if (SKIP_METHODS.has(key) || key === 'prototype' || key === 'length' || key === 'name') continue;
      const desc = Object.getOwnPropertyDescriptor(target, key);
      if (!desc || typeof desc.value !== 'function' || !desc.writable) continue;
      target[key] = timed(`${cls.name}${target === cls ? '.' : '#'}${key}`, desc.value);
    }
  }
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.apply(this, arguments);
  let file;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    return exports;
  }
  if (!/\/dist\/src\//.test(file) || SKIP_FILES.test(file) || !exports || exports.__phaseTimed) return exports;
  Object.defineProperty(exports, '__phaseTimed', { value: true });
  for (const [key, value] of Object.entries(exports)) {
    if (typeof value !== 'function') continue;
    if (/^[A-Z]/.test(key) && value.prototype) wrapClass(value);
    else {
      try {
        exports[key] = timed(key, value);
      } catch {
        // read-only export
      }
    }
  }
  return exports;
};

function report(when) {
  const rows = [...stats].sort((a, b) => a[1].first - b[1].first);
  const lines = rows.map(([name, s]) => `${String(s.calls).padStart(6)} ${s.ms.toFixed(0).padStart(8)} ms  +${s.first.toFixed(0).padStart(6)} .. +${s.last.toFixed(0).padStart(6)}  ${name}`);
  process.stderr.write(`\nphase-timer (${when}): calls, summed wall time, first start .. last end (ms since process start)\n${lines.join('\n')}\n`);
  stats.clear();
}
// SIGUSR2 prints (and resets) what has run so far: send it once the host answers to see boot alone.
process.on('SIGUSR2', () => report('on SIGUSR2'));
process.on('exit', () => report('at exit'));
