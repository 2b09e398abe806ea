import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { describeDb, TEST_DB } from './support/test-database';
import { REPO, runCli } from './support/processes';
import { FIXTURES, TestSandbox } from './support/test-host';

describeDb('appnest new, test and pack', () => {
  let sandbox: TestSandbox;
  let work: string;
  let env: Record<string, string | undefined>;
  beforeEach(async () => {
    sandbox = await TestSandbox.create();
    work = mkdtempSync(join(tmpdir(), 'appnest-author-'));
    env = sandbox.env();
  });
  afterEach(async () => {
    await sandbox.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('scaffolds a plugin outside the repository whose Jest specs pass as generated, and fail once its service is broken', async () => {
    const created = await runCli(['new', 'demo', '--frontend', '--dir', work], env, work);
    expect(created.code).toBe(0);
    const dir = join(work, 'demo');
    for (const file of ['plugin.json', 'app.module.ts', 'demo.controller.ts', 'demo.service.ts', 'demo-item.entity.ts', 'demo.tasks.ts', 'web/vite.config.mts', 'frontend/manifest.json']) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    expect(readFileSync(join(dir, 'demo-item.entity.ts'), 'utf8')).toContain("@Entity({ name: 'demo_item' })");
    expect(readFileSync(join(dir, 'web/vite.config.mts'), 'utf8')).toMatch(/manifest: true[\s\S]*external: \['vue', '@appnest\/frontend'\]/);
    expect(readFileSync(join(dir, 'demo.service.spec.ts'), 'utf8')).toContain('Test.createTestingModule(');
    expect(readFileSync(join(dir, 'test/demo.e2e-spec.ts'), 'utf8')).toContain("import request from 'supertest';");
    // Nothing installed beside the plugin: Jest and its helpers come from the host.
    expect(existsSync(join(work, 'node_modules')) || existsSync(join(dir, 'node_modules'))).toBe(false);

    const tested = await runCli(['test'], env, dir);
    expect([tested.code, tested.stderr]).toEqual([0, expect.stringMatching(/^Tests: +6 passed, 6 total$/m)]);
    expect(tested.stderr).toMatch(/^PASS \.\/demo\.service\.spec\.ts/m);
    expect(tested.stderr).toMatch(/^PASS test\/demo\.e2e-spec\.ts/m);
    expect(tested.stdout).toMatch(/^PASS demo \(demo\.service\.spec\.ts, test\/demo\.e2e-spec\.ts\)$/m);

    writeFileSync(join(dir, 'demo.service.ts'), readFileSync(join(dir, 'demo.service.ts'), 'utf8').replace('this.items.create({ title })', 'this.items.create({ title: title.toUpperCase() })'));
    const broken = await runCli(['test', dir], env, work);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^FAIL \.\/demo\.service\.spec\.ts/m);
    expect(broken.stderr).toMatch(/^FAIL test\/demo\.e2e-spec\.ts/m);
    expect(broken.stdout).toMatch(/^FAIL demo \(/m);
  }, 240000);

  // Inside the repository Node finds the host's node_modules by walking up; the specs must pass there
  // too. A plugins folder of its own under .tmp/, so the other tests never see this plugin.
  (TEST_DB === 'embedded' ? it : it.skip)(
    'scaffolds a plugin inside the repository whose Jest specs pass as generated',
    async () => {
      mkdirSync(join(REPO, '.tmp'), { recursive: true });
      const plugins = mkdtempSync(join(REPO, '.tmp', 'plugins-'));
      try {
        expect((await runCli(['new', 'demo', '--dir', plugins], env, REPO)).code).toBe(0);
        const tested = await runCli(['test', join(plugins, 'demo')], env, REPO);
        expect([tested.code, tested.stderr]).toEqual([0, expect.stringMatching(/^Tests: +6 passed, 6 total$/m)]);
        expect(tested.stdout).toMatch(/^PASS demo \(demo\.service\.spec\.ts, test\/demo\.e2e-spec\.ts\)$/m);
      } finally {
        rmSync(plugins, { recursive: true, force: true });
      }
    },
    180000,
  );

  it('still runs the node:test files of a plugin written that way', async () => {
    const tested = await runCli(['test', join(FIXTURES, 'node-test-suite')], env, work);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/pass 1\b/);
    expect(tested.stdout).toMatch(/^PASS node-test-suite \(test\/ping\.test\.ts\)$/m);
  });

  it('packs a precompiled zip that install accepts; enabled, it serves its route and its page', async () => {
    expect((await runCli(['new', 'demo', '--frontend', '--dir', work], env, work)).code).toBe(0);
    const zipFile = join(work, 'demo.zip');
    const packed = await runCli(['pack', join(work, 'demo'), '-o', zipFile], env, work);
    expect(packed.code).toBe(0);
    const sha = /^sha256 ([0-9a-f]{64})$/m.exec(packed.stdout)?.[1];
    expect(sha).toBe(createHash('sha256').update(readFileSync(zipFile)).digest('hex'));
    const names = new AdmZip(zipFile).getEntries().map((e) => e.entryName);
    expect(names).toEqual(expect.arrayContaining(['demo/app.module.js', 'demo/demo.controller.js', 'demo/plugin.json', 'demo/frontend/manifest.json', 'demo/frontend/assets/main.js']));
    expect(names.some((n) => /^demo\/migrations\/\d+-create-demo-item\.js$/.test(n))).toBe(true);
    expect(names.filter((n) => n.endsWith('.ts') || n.startsWith('demo/web/') || n.startsWith('demo/test/') || n.includes('.spec.') || n.startsWith('demo/jest.config'))).toEqual([]);

    await sandbox.start();
    const installed = await runCli(['install', zipFile], env);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(/^Installed demo 0\.1\.0: installed\nsha256 [0-9a-f]{64}$/m);
    expect((await runCli(['enable', 'demo', '--accept-risk'], env)).stdout).toContain('demo 0.1.0: active');

    expect((await sandbox.request('POST', '/api/plugins/demo/items', { title: 'From the zip' })).status).toBe(201);
    expect((await sandbox.request('GET', '/api/plugins/demo/items')).body).toEqual([expect.objectContaining({ title: 'From the zip' })]);
    const listed = (await sandbox.request('GET', '/api/plugins', undefined, null)).body as { id: string; entry: string }[];
    const demo = listed.find((p) => p.id === 'demo');
    expect(demo?.entry).toBe('/api/plugins/assets/demo/assets/main.js');
    const entry = await fetch(sandbox.host!.url + demo!.entry);
    expect(entry.status).toBe(200);
    expect(await entry.text()).toContain('definePlugin');
  });

  it('refuses a bad id, an existing folder and a broken plugin with a code and a hint', async () => {
    const badId = await runCli(['new', 'Demo!', '--dir', work], env, work);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^PLG_INVALID_ID: .*'Demo!'/m);
    expect(badId.stderr).toMatch(/^hint: /m);
    expect((await runCli(['new', 'demo', '--dir', work], env, work)).code).toBe(0);
    const again = await runCli(['new', 'demo', '--dir', work], env, work);
    expect(again.stderr).toMatch(/^PLG_BAD_REQUEST: Cannot create plugin 'demo': .* already exists/m);
    const broken = await runCli(['pack', join(FIXTURES, 'doctor-bad-descriptor'), '-o', join(work, 'x.zip')], env, work);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^PLG_INVALID_DESCRIPTOR: /m);
    expect(existsSync(join(work, 'x.zip'))).toBe(false);
    const noTests = await runCli(['test', join(FIXTURES, 'echo')], env, work);
    expect(noTests.code).toBe(1);
    expect(noTests.stderr).toMatch(/^PLG_BAD_REQUEST: No plugin test files/m);
  });
});
