// Preloaded into a host process (NODE_OPTIONS=--require) by the event-loop tests: SIGUSR2 blocks
// the event loop for APPNEST_TEST_BLOCK_MS in code of no plugin.
'use strict';
process.on('SIGUSR2', () => {
  const until = Date.now() + Number(process.env.APPNEST_TEST_BLOCK_MS || 1500);
  while (Date.now() < until) {
    // spin
  }
});
