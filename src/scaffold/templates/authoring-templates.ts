import { join } from 'node:path';
import type { PluginNames } from '../plugin-names';
import type { FileMap } from './backend-templates';
import { testFiles } from './test-templates';

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
      types: ['node', 'jest'],
      typeRoots: [join(hostRoot, 'node_modules', '@types')],
      paths: {
        appnest: [join(hostRoot, 'src', 'sdk', 'index.ts')],
        'appnest/testing': [join(hostRoot, 'src', 'testing', 'testing.ts')],
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
appnest test                         # Jest: the unit spec and test/*.e2e-spec.ts against a real host
appnest doctor                       # check the plugin without enabling it
appnest pack . -o ${id}.zip          # a precompiled zip for appnest install
\`\`\`

Routes are served under \`/api/plugins/${id}/\`; the entity's table is \`${id.replace(/-/g, '_')}_item\`.
${frontend ? `\nThe page's source is in \`web/\`; \`npm install && npm run build\` there writes \`frontend/\`\n(a prebuilt copy ships so the page works without a build).\n` : ''}`;

export function authoringFiles(names: PluginNames, hostRoot: string, frontend: boolean): FileMap {
  return {
    ...testFiles(names, hostRoot),
    'tsconfig.json': tsconfig(hostRoot),
    'README.md': readme(names, frontend),
  };
}
