'use strict';
// Preloaded into the host for the memory-growth measurement only (`node --expose-gc -r`): on
// SIGUSR2 it runs two full garbage collections and writes process.memoryUsage() to stderr as one
// line, so growth is measured on live memory rather than on when V8 last happened to collect.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  process.stderr.write(`\nbench-memory ${JSON.stringify(process.memoryUsage())}\n`);
});
