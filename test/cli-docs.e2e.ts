import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPlugin } from '../src/pack/plugin-packer';
import { scaffoldPlugin } from '../src/scaffold/plugin-scaffold';
import { describeDb } from './support/test-database';
import { REPO } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const DOC_URL = 'http://127.0.0.1:3000';

interface CurlSample {
  command: string;
  /** From a trailing `# 403 PLG_CODE` comment; otherwise any 2xx. */
  status?: number;
  code?: string;
}

/** The curl commands of a doc's sh samples, in order, with backslash continuations joined. */
function curlSamples(doc: string): CurlSample[] {
  const blocks = [...readFileSync(join(REPO, 'docs', doc), 'utf8').matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const commands = blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n')).filter((line) => line.startsWith('curl '));
  return commands.map((line) => {
    const [command, comment = ''] = line.split(/\s+#\s+/);
    const expected = /^(\d{3})(?:\s+(PLG_[A-Z_]+))?/.exec(comment.trim());
    return { command: command.trim(), status: expected ? Number(expected[1]) : undefined, code: expected?.[2] };
  });
}

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const curlAvailable = hasCurl();
if (!curlAvailable) process.stderr.write('curl is not installed: the replay of the docs/http-api.md samples is skipped.\n');

(curlAvailable ? describeDb : describe.skip)('the curl samples of docs/http-api.md', () => {
  let sandbox: TestSandbox;
  let work: string;
  beforeAll(async () => {
    sandbox = await TestSandbox.create();
    sandbox.addPlugin(join('..', '..', 'plugins', 'hello'), 'hello');
    sandbox.addPlugin(join('..', '..', 'plugins', 'notes'), 'notes');
    work = mkdtempSync(join(tmpdir(), 'appnest-docs-'));
    scaffoldPlugin({ id: 'demo', parentDir: work });
    await packPlugin(join(work, 'demo'), { out: join(work, 'demo.zip') });
    await sandbox.start();
  });
  afterAll(async () => {
    await sandbox.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('answer as documented when replayed in order against a fresh host with the example plugins', async () => {
    const samples = curlSamples('http-api.md');
    expect(samples.length).toBeGreaterThan(15);
    for (const sample of samples) {
      const command = `${sample.command.replace(DOC_URL, sandbox.host!.url)} -w '\\n%{http_code}'`;
      const output = await new Promise<string>((resolve, reject) =>
        execFile('bash', ['-c', command], { cwd: work, env: { ...process.env, TOKEN: ADMIN_TOKEN } }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      const status = Number(output.slice(output.lastIndexOf('\n') + 1));
      const body = output.slice(0, output.lastIndexOf('\n'));
      const outcome = sample.status === undefined ? status >= 200 && status < 300 : status === sample.status;
      expect([sample.command, status, outcome]).toEqual([sample.command, status, true]);
      if (sample.code) expect(JSON.parse(body)).toMatchObject({ code: sample.code });
    }
  });
});
