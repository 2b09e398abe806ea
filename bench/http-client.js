'use strict';
// A tiny HTTP client (node:http, no keep-alive) that also times the request.
const http = require('node:http');

/** Sends one request; resolves { status, body, ms } (ms from send to the last byte). */
function request(method, url, { headers = {}, body, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const allHeaders = { ...headers };
    if (payload) {
      allHeaders['content-length'] = payload.length;
      if (!allHeaders['content-type']) allHeaders['content-type'] = 'application/json';
    }
    const started = process.hrtime.bigint();
    const req = http.request(url, { method, headers: allHeaders, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

module.exports = { request };
