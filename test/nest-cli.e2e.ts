import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { seedEmbeddedDatabase } from '../src/testing/testing-database';
import { REPO, startHostProcess, stopProcess } from './support/processes';
import { TEST_DB } from './support/test-database';

const NEST_CLI = join(REPO, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');

// The build does not depend on the database: it runs once, in the embedded project.
(TEST_DB === 'embedded' ? describe : describe.skip)('nest build with the repository nest-cli.json', () => {
  let out: string;
  let dataDir: string;
  beforeEach(() => {
    // Inside the repository, so the built host resolves node_modules and web/dist as dist/ does;
    // apart from dist/, which the other tests run.
    mkdirSync(join(REPO, '.tmp'), { recursive: true });
    out = mkdtempSync(join(REPO, '.tmp', 'nest-build-'));
    dataDir = mkdtempSync(join(tmpdir(), 'appnest-nest-build-'));
  });
  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('compiles src/ and migrations/ with swc into the layout nest start runs, and the built host answers /api/health', async () => {
    const tsconfig = join(out, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ extends: relative(out, join(REPO, 'tsconfig.build.json')), compilerOptions: { outDir: '.' } }));
    const built = await promisify(execFile)(process.execPath, [NEST_CLI, 'build', '--path', relative(REPO, tsconfig)], { cwd: REPO });
    expect(built.stdout + built.stderr).toMatch(/Successfully compiled: \d+ files with swc/);
    const nestCli = JSON.parse(readFileSync(join(REPO, 'nest-cli.json'), 'utf8')) as { sourceRoot: string; entryFile: string };
    const entry = join(out, nestCli.sourceRoot, `${nestCli.entryFile}.js`);
    expect(existsSync(entry)).toBe(true);
    expect(existsSync(join(out, 'migrations', 'index.js'))).toBe(true);
    expect(readFileSync(join(out, 'src', 'http', 'public.controller.js'), 'utf8')).toContain('"design:paramtypes"');

    await seedEmbeddedDatabase(join(dataDir, 'pgdata'));
    const plugins = join(dataDir, 'plugins');
    mkdirSync(plugins);
    const env = { PORT: '0', APPNEST_DATA_DIR: dataDir, APPNEST_PLUGINS_DIR: plugins, APPNEST_FRONTEND_PLUGINS_DIR: plugins, DATABASE_URL: '', APPNEST_ADMIN_TOKEN: '' };
    const { child, url } = await startHostProcess(env, REPO, 60000, entry);
    try {
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', activePlugins: 0 });
    } finally {
      expect(await stopProcess(child)).toBe(0);
    }
  });
});
