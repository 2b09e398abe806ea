import type { JobsSummary } from '../../contracts/job-view';
import { JSON_OPTION, print, stringFlag, withHost, type Command } from '../command';

const enc = encodeURIComponent;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

/** The lines `appnest jobs <id>` prints: one row per queue, the running jobs with their progress, then the recent failures. */
export function describeJobs(summary: JobsSummary): string[] {
  if (summary.queues.length === 0) return [`Plugin '${summary.pluginId}' has no job queues.`];
  const rows = summary.queues.map((q) => [q.queue, String(q.queued), String(q.active), String(q.completed), String(q.failed), String(q.deadLettered)]);
  const lines = table([['QUEUE', 'QUEUED', 'ACTIVE', 'COMPLETED', 'FAILED', 'DEAD-LETTERED'], ...rows]);
  if (summary.activeJobs?.length) {
    lines.push('', 'Running:');
    const running = summary.activeJobs.map((j) => [`  ${j.id}`, j.queue, j.progress === null ? '-' : `${j.progress}%`, j.retryCount ? `attempt ${j.retryCount + 1}` : '']);
    lines.push(...table(running));
  }
  if (summary.recentFailures.length) {
    lines.push('', 'Recent failures:');
    for (const f of summary.recentFailures) lines.push(`  ${f.id}  ${f.queue}  ${f.state} after ${f.retryCount + 1} attempt(s)  ${f.error}`);
  }
  return lines;
}

export const JOB_COMMANDS: Record<string, Command> = {
  jobs: {
    usage: 'jobs <id> [--retry <job-id> | --cancel <job-id>]',
    summary: "a plugin's job queues (queued, active, failed, dead-lettered), its running jobs with their progress and recent failures; retry or cancel a job",
    options: [['--retry <job-id>', 'run a failed or cancelled job again'], ['--cancel <job-id>', 'cancel a waiting or running job'], JSON_OPTION],
    valueFlags: ['retry', 'cancel'],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        for (const verb of ['retry', 'cancel'] as const) {
          const jobId = stringFlag(ctx, verb);
          if (jobId === undefined) continue;
          const done = await call<{ id: string; queue: string }>('POST', `/api/admin/plugins/${enc(id)}/jobs/${enc(jobId)}/${verb}`);
          return print(ctx, done, () => `${verb === 'retry' ? 'Retried' : 'Cancelled'} job ${done.id} of '${id}' (queue '${done.queue}').`);
        }
        const summary = await call<JobsSummary>('GET', `/api/admin/plugins/${enc(id)}/jobs`);
        print(ctx, summary, () => describeJobs(summary));
      }),
  },
};
