import { TEST_DB } from './support/test-database';
import { runCli } from './support/processes';
import { COMMANDS } from '../src/cli/commands';

const SPEC_COMMANDS = [
  'start',
  'dev',
  'new',
  'pack',
  'rollback',
  'install',
  'uninstall',
  'list',
  'enable',
  'disable',
  'logs',
  'settings',
  'run',
  'migrate',
  'migrate:revert',
  'migrate:redo',
  'migration:create',
  'doctor',
  'test',
  'jobs',
];

// Help and argument errors never reach a database: one project is enough.
(TEST_DB === 'embedded' ? describe : describe.skip)('appnest --help and bad arguments', () => {
  it('lists every command in --help, each with its usage', async () => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(Object.keys(COMMANDS).sort()).toEqual([...SPEC_COMMANDS].sort());
    for (const command of Object.values(COMMANDS)) expect(help.stdout).toMatch(new RegExp(`^  ${command.usage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\S`, 'm'));
    expect((await runCli([], {})).code).toBe(1);
  });

  it('answers --help on every command with its usage and options', async () => {
    const answers = await Promise.all(Object.entries(COMMANDS).map(async ([name, command]) => [name, command, await runCli([name, '--help'], {})] as const));
    for (const [name, command, answer] of answers) {
      expect([name, answer.code]).toEqual([name, 0]);
      expect(answer.stdout).toContain(`Usage: appnest ${command.usage}`);
      expect(answer.stdout).toContain('-h, --help');
    }
    expect((await runCli(['help', 'pack'], {})).stdout).toContain('-o, --out <file>');
  });

  it('refuses an unknown command, a missing argument and an unknown option with a hint, exiting non-zero', async () => {
    const unknown = await runCli(['packk', 'x'], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^PLG_BAD_REQUEST: Unknown command 'packk'\.\nhint: Did you mean 'pack'\?/m);
    const missing = await runCli(['new'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^PLG_BAD_REQUEST: 'new' takes 1 argument\(s\), got 0\.\nhint: Usage: appnest new <id>/m);
    const option = await runCli(['doctor', '--fix'], {});
    expect(option.code).toBe(1);
    expect(option.stderr).toMatch(/^PLG_BAD_REQUEST: 'doctor' has no option --fix\.\nhint: Usage: appnest doctor/m);
    const value = await runCli(['dev', '--debounce', 'soon'], {});
    expect(value.code).toBe(1);
    expect(value.stderr).toMatch(/^PLG_BAD_REQUEST: --debounce must be a whole number.*\nhint: /m);
  });
});
