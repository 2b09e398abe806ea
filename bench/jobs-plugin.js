'use strict';
// The plugin the jobs phase measures: a queue whose handler counts, a route that sends a batch of
// jobs from several loops at once, and a route that sends one job at a time and reports how long
// each waited from send to the start of its handler.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const MODULE = `
import { Body, Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import { JobHandler, JobQueue } from 'appnest';

@Injectable()
export class BenchJobs {
  done = 0;
  lastDoneAt = 0;
  private started?: (ms: number) => void;

  @JobHandler('count', { concurrency: 1, batchSize: 100, retryLimit: 0, wakeOnSend: false })
  count() {
    this.done++;
    this.lastDoneAt = Date.now();
  }

  @JobHandler('latency', { retryLimit: 0 })
  latency(data: { sentAt: number }) {
    this.started?.(Date.now() - data.sentAt);
  }

  nextStart(): Promise<number> {
    return new Promise((resolve) => (this.started = resolve));
  }
}

@Controller('bench')
export class BenchController {
  constructor(private readonly jobs: JobQueue, private readonly bench: BenchJobs) {}

  @Post('throughput')
  async throughput(@Body() body: { count: number; loops: number; batch: number }) {
    this.bench.done = 0;
    const began = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: body.loops }, async () => {
      while (next < body.count) {
        const take = Math.min(body.batch, body.count - next);
        next += take;
        if (body.batch === 1) await this.jobs.send('count', {});
        else await this.jobs.sendMany('count', Array.from({ length: take }, () => ({})));
      }
    }));
    const sentMs = Date.now() - began;
    while (this.bench.done < body.count) await new Promise((resolve) => setTimeout(resolve, 5));
    return { sentMs, totalMs: this.bench.lastDoneAt - began };
  }

  @Post('latency')
  async latency(@Body() body: { count: number }) {
    const waits: number[] = [];
    for (let i = 0; i < body.count; i++) {
      const started = this.bench.nextStart();
      await this.jobs.send('latency', { sentAt: Date.now() });
      waits.push(await started);
    }
    return { waits };
  }
}

@Module({ providers: [BenchJobs], controllers: [BenchController] })
export class BenchJobsModule {}
`;

function writeJobsPlugin(pluginsDir) {
  const dir = join(pluginsDir, 'bench-jobs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ id: 'bench-jobs', name: 'Bench jobs', version: '1.0.0' }));
  writeFileSync(join(dir, 'app.module.ts'), MODULE);
  return 'bench-jobs';
}

module.exports = { writeJobsPlugin };
