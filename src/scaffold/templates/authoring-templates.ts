import { join } from 'node:path';
import type { PluginNames } from '../plugin-names';
import type { FileMap } from './backend-templates';

const test = ({ id, pascal }: PluginNames) => `import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestHost, type TestHost } from 'appnest/testing';

interface ${pascal}Item {
  id: string;
  title: string;
}

// A real host on a temp folder and database, with this plugin installed and enabled.
let host: TestHost;
before(async () => {
  host = await startTestHost({ plugins: [join(__dirname, '..')] });
});
after(() => host?.stop());

test('creates an item and lists it', async () => {
  const created = await host.request<${pascal}Item>('POST', '/api/plugins/${id}/items', { title: 'First item' });
  assert.equal(created.status, 201);
  const listed = await host.request<${pascal}Item[]>('GET', '/api/plugins/${id}/items');
  assert.deepEqual(listed.body.map((item) => item.title), ['First item']);
});

test('refuses an item without a title', async () => {
  const refused = await host.request('POST', '/api/plugins/${id}/items', {});
  assert.equal(refused.status, 400);
});

test('schedules the prune task and validates its setting', async () => {
  const plugin = await host.request<{ tasks: { name: string }[] }>('GET', '/api/admin/plugins/${id}');
  assert.ok(plugin.body.tasks.some((task) => task.name === '${id}:prune'));
  const refused = await host.request('PUT', '/api/admin/plugins/${id}/settings', { settings: { retentionDays: 0 } });
  assert.equal(refused.status, 400);
});

test('the clear action deletes every item', async () => {
  await host.request('POST', '/api/plugins/${id}/items', { title: 'Doomed item' });
  const ran = await host.request<{ result: { deleted: number } }>('POST', '/api/admin/plugins/${id}/run', { action: 'clear' });
  assert.equal(ran.status, 200);
  assert.ok(ran.body.result.deleted >= 1);
  assert.deepEqual((await host.request('GET', '/api/plugins/${id}/items')).body, []);
});
`;

/** Editor support only: the host compiles plugins itself. Points the SDK and shared packages at the host. */
function tsconfig(hostRoot: string): string {
  const json = {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(hostRoot, 'node_modules', '@types')],
      paths: {
        appnest: [join(hostRoot, 'src', 'sdk', 'index.ts')],
        'appnest/testing': [join(hostRoot, 'src', 'sdk', 'testing.ts')],
        '*': [join(hostRoot, 'node_modules', '@types', '*'), join(hostRoot, 'node_modules', '*')],
      },
    },
    exclude: ['node_modules', 'frontend', 'web'],
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

const readme = ({ id, title }: PluginNames, frontend: boolean) => `# ${title}

An appnest plugin (id \`${id}\`).

\`\`\`sh
appnest dev                          # run the host; saved changes reload live
appnest enable ${id} --accept-risk   # first enable: the plugin's code runs with the host's rights
appnest test                         # run test/*.test.ts against a real host
appnest doctor                       # check the plugin without enabling it
appnest pack . -o ${id}.zip          # a precompiled zip for appnest install
\`\`\`

Routes are served under \`/api/plugins/${id}/\`; the entity's table is \`${id.replace(/-/g, '_')}_item\`.
${frontend ? `\nThe page's source is in \`web/\`; \`npm install && npm run build\` there writes \`frontend/\`\n(a prebuilt copy ships so the page works without a build).\n` : ''}`;

export function authoringFiles(names: PluginNames, hostRoot: string, frontend: boolean): FileMap {
  return {
    [`test/${names.id}.test.ts`]: test(names),
    'tsconfig.json': tsconfig(hostRoot),
    'README.md': readme(names, frontend),
  };
}
