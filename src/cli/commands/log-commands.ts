import { resolveAdminToken } from '../../core/admin/admin-token';
import { PluginError, isErrorCode } from '../../errors/plugin-error';
import type { Command, CommandContext } from '../command';
import { runningHostUrl } from '../host-connection';

async function runningHost(ctx: CommandContext): Promise<{ url: string; token: string }> {
  const url = await runningHostUrl(ctx.config.dataDir);
  if (!url) {
    throw new PluginError('PLG_HOST_NOT_RUNNING', `No host of the data folder '${ctx.config.dataDir}' answers: the logs live in the running host's memory.`, {
      hint: 'Start the host (appnest start), or set APPNEST_DATA_DIR to the data folder of the one that runs.',
    });
  }
  return { url, token: resolveAdminToken(ctx.config.dataDir, ctx.config.adminToken).token };
}

async function failure(res: Response): Promise<PluginError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; pluginId?: string; hint?: string };
  const code = body.code && isErrorCode(body.code) ? body.code : 'PLG_INTERNAL';
  return new PluginError(code, body.message ?? `HTTP ${res.status}`, { pluginId: body.pluginId, hint: body.hint });
}

/** Prints the lines of a server-sent event stream until it ends. */
async function printEvents(res: Response, out: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6));
      if (data.length) out(data.join('\n'));
    }
  }
}

export const LOG_COMMANDS: Record<string, Command> = {
  logs: {
    usage: 'logs <id> [--lines <n>] [--follow]',
    summary: "a plugin's last log lines, kept by the running host; --follow streams the new ones until Ctrl+C",
    options: [
      ['--lines <n>', 'how many of the last lines (default and most 200)'],
      ['--follow', 'keep printing the new lines as they come'],
    ],
    valueFlags: ['lines'],
    arity: [1, 1],
    run: async (ctx) => {
      const id = ctx.args.positionals[0];
      const { url, token } = await runningHost(ctx);
      const query = new URLSearchParams();
      if (typeof ctx.args.flags.lines === 'string') query.set('lines', ctx.args.flags.lines);
      const follow = ctx.args.flags.follow === true;
      if (follow) query.set('follow', '1');
      const res = await fetch(`${url}/api/admin/plugins/${encodeURIComponent(id)}/logs?${query.toString()}`, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw await failure(res);
      if (follow) return printEvents(res, ctx.out);
      for (const line of ((await res.json()) as { lines: string[] }).lines) ctx.out(line);
    },
  },
};
