import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DB } from './support/test-database';
import { REPO, runCli } from './support/processes';
import { FIXTURES } from './support/test-host';

/** Each broken fixture, and the findings (code, severity) the doctor must report for it. */
const CASES: [fixture: string, expected: [code: string, severity: 'error' | 'warning', message: RegExp][]][] = [
  ['doctor-bad-descriptor', [['PLG_INVALID_DESCRIPTOR', 'error', /"version" must be a semantic version/]]],
  ['doctor-bad-id', [['PLG_INVALID_ID', 'error', /'Not Valid'/]]],
  ['doctor-no-entry', [['PLG_NO_ENTRY', 'error', /no backend marker/]]],
  ['doctor-compile-error', [['PLG_COMPILE_FAILED', 'error', /items\.service\.ts:6:\d+/]]],
  ['doctor-no-module', [['PLG_NO_MODULE', 'error', /exports no @Module class/]]],
  ['doctor-import-throws', [['PLG_IMPORT_FAILED', 'error', /\(at app\.module\.ts:3:\d+\): missing configuration DOCTOR_NEVER_SET/]]],
  ['doctor-route-clash', [['PLG_ROUTE_CONFLICT', 'error', /LegacyController\.legacyList\(\) and ItemsController\.list\(\) both answer GET \/api\/plugins\/doctor-route-clash\/items/]]],
  ['doctor-missing-export', [['PLG_IMPORT_FAILED', 'error', /app\.module\.ts:2:24 imports 'Nope' from '\.\/items\.service', which does not export it/]]],
  ['doctor-host-range', [['PLG_HOST_INCOMPATIBLE', 'error', /needs host \^9\.0\.0/]]],
  [
    'doctor-tables',
    [
      ['PLG_TABLE_PREFIX', 'warning', /table 'widgets'.*does not start with 'doctor_tables'/],
      ['PLG_TABLE_CONFLICT', 'error', /table 'appnest_plugins', which the host owns/],
    ],
  ],
  ['doctor-migration-dup', [['PLG_MIGRATION_DUPLICATE', 'error', /two migrations named '1763683300000-init'/]]],
  [
    'doctor-migration-names',
    [
      ['PLG_MIGRATION_FAILED', 'error', /'1763683400000-no-class' must export exactly one class/],
      ['PLG_MIGRATION_NAME', 'warning', /'init\.ts' does not start with a timestamp/],
    ],
  ],
  ['doctor-manifest', [['PLG_MANIFEST_INVALID', 'error', /lists 'assets\/main-77aa01bc\.css', which is not in frontend\//]]],
  [
    'doctor-actions',
    [
      ['PLG_ACTION_NOT_FOUND', 'error', /declares action 'purge'.*no provider method is marked @Action\('purge'\)/],
      ['PLG_ACTION_NOT_FOUND', 'warning', /CleanupService\.sweep\(\) is marked @Action\('sweep'\)/],
    ],
  ],
  ['doctor-legacy', [['PLG_DESCRIPTOR_MISSING', 'warning', /has no plugin\.json/]]],
  ['doctor-shared-major', [['PLG_SHARED_PACKAGE_VERSION', 'error', /asks for @nestjs\/common \^10\.4\.0, but the host shares @nestjs\/common 12\./]]],
  ['doctor-bad-default', [['PLG_INVALID_DESCRIPTOR', 'error', /setting "pageSize" has "default": "20", which is not a number/]]],
];

// The doctor reads files and imports code; it never opens a database, so it runs in one project only.
(TEST_DB === 'embedded' ? describe : describe.skip)('appnest doctor', () => {
  it.each(CASES)('reports what is wrong with %s, one line per finding, with its code', async (fixture, expected) => {
    const { code, stdout } = await runCli(['doctor', join(FIXTURES, fixture)], {});
    const lines = stdout.split('\n').filter((l) => l.startsWith('PLG_'));
    expect(lines).toHaveLength(expected.length);
    for (const [findingCode, severity, message] of expected) {
      const prefix = `${findingCode} ${fixture}: ${severity === 'warning' ? 'warning: ' : ''}`;
      expect(lines.filter((l) => l.startsWith(prefix) && message.test(l))).toHaveLength(1);
    }
    expect(code).toBe(expected.some(([, severity]) => severity === 'error') ? 1 : 0);
    expect(stdout).toContain("doctor imports each plugin's backend");
  });

  it('checks every plugin of a plugins folder, and passes the example plugins', async () => {
    const examples = await runCli(['doctor'], { APPNEST_PLUGINS_DIR: join(REPO, 'plugins') }, tmpdir());
    expect(examples.stdout).toMatch(/^Checked 2 plugin\(s\): 0 error\(s\), 0 warning\(s\)\.$/m);
    expect(examples.code).toBe(0);

    const plugins = mkdtempSync(join(tmpdir(), 'appnest-doctor-'));
    try {
      for (const name of ['echo', 'doctor-tables', 'doctor-no-module']) cpSync(join(FIXTURES, name), join(plugins, name), { recursive: true });
      cpSync(join(FIXTURES, 'echo'), join(plugins, 'echo-copy'), { recursive: true });
      const all = await runCli(['doctor', plugins, '--json'], {});
      expect(all.code).toBe(1);
      const checkups = JSON.parse(all.stdout) as { pluginId: string; findings: { code: string }[] }[];
      expect(checkups.map((c) => [c.pluginId, c.findings.map((f) => f.code)])).toEqual([
        ['doctor-no-module', ['PLG_NO_MODULE']],
        ['doctor-tables', ['PLG_TABLE_PREFIX', 'PLG_TABLE_CONFLICT']],
        ['echo', []],
        ['echo', ['PLG_DUPLICATE_ID']],
      ]);
    } finally {
      rmSync(plugins, { recursive: true, force: true });
    }
  });
});
