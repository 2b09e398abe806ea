import { join } from 'node:path';
import type { PluginNames } from '../plugin-names';
import type { FileMap } from './backend-templates';

const viteConfig = `import { defineConfig } from 'vite';

// One JS entry whose default export describes the plugin, built with a manifest into ../frontend.
// vue and @appnest/frontend come from the host page's import map: never bundle them.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: '../frontend',
    emptyOutDir: true,
    manifest: true,
    rolldownOptions: {
      input: 'src/main.ts',
      external: ['vue', '@appnest/frontend'],
      preserveEntrySignatures: 'strict',
    },
  },
});
`;

/** The page, written with Vue render functions so the build needs nothing but Vite. */
const mainTs = ({ title }: PluginNames) => `import { createApp, defineComponent, h, onMounted, ref, type PropType } from 'vue';
import { definePlugin, type PluginHost } from '@appnest/frontend';

interface Item {
  id: string;
  title: string;
}

const ItemsPage = defineComponent({
  props: { host: { type: Object as PropType<PluginHost>, required: true } },
  setup(props) {
    const items = ref<Item[]>([]);
    const title = ref('');
    const load = async () => {
      items.value = await props.host.api.get<Item[]>('items');
    };
    const add = async (event: Event) => {
      event.preventDefault();
      await props.host.api.post('items', { title: title.value });
      title.value = '';
      await load();
    };
    onMounted(load);
    return () =>
      h('section', [
        h('form', { onSubmit: add }, [
          h('input', { value: title.value, placeholder: 'New item', onInput: (e: Event) => (title.value = (e.target as HTMLInputElement).value) }),
          h('button', { type: 'submit', disabled: !title.value }, 'Add'),
        ]),
        h('ul', items.value.map((item) => h('li', { key: item.id }, item.title))),
      ]);
  },
});

export default definePlugin({
  pages: [
    {
      route: '',
      title: '${title}',
      mount(el, host) {
        const app = createApp(ItemsPage, { host });
        app.mount(el);
        return () => app.unmount();
      },
    },
  ],
});
`;

/** What \`vite build\` makes of main.ts, shipped so the page works before the first build. */
const prebuiltEntry = ({ title }: PluginNames) => `import { createApp, defineComponent, h, onMounted, ref } from 'vue';
import { definePlugin } from '@appnest/frontend';

const ItemsPage = defineComponent({
  props: { host: { type: Object, required: true } },
  setup(props) {
    const items = ref([]);
    const title = ref('');
    const load = async () => {
      items.value = await props.host.api.get('items');
    };
    const add = async (event) => {
      event.preventDefault();
      await props.host.api.post('items', { title: title.value });
      title.value = '';
      await load();
    };
    onMounted(load);
    return () =>
      h('section', [
        h('form', { onSubmit: add }, [
          h('input', { value: title.value, placeholder: 'New item', onInput: (e) => (title.value = e.target.value) }),
          h('button', { type: 'submit', disabled: !title.value }, 'Add'),
        ]),
        h('ul', items.value.map((item) => h('li', { key: item.id }, item.title))),
      ]);
  },
});

export default definePlugin({
  pages: [
    {
      route: '',
      title: ${JSON.stringify(title)},
      mount(el, host) {
        const app = createApp(ItemsPage, { host });
        app.mount(el);
        return () => app.unmount();
      },
    },
  ],
});
`;

const manifest = `${JSON.stringify({ 'src/main.ts': { file: 'assets/main.js', name: 'main', src: 'src/main.ts', isEntry: true } }, null, 2)}\n`;

function webPackage({ id }: PluginNames, versions: { vite: string; vue: string }): string {
  const json = { name: `${id}-web`, private: true, type: 'module', scripts: { build: 'vite build' }, devDependencies: { vite: versions.vite, vue: versions.vue } };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Types of @appnest/frontend come from the host's source; the host serves the runtime. */
function webTsconfig(hostRoot: string): string {
  const json = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2022', 'DOM'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      paths: { '@appnest/frontend': [join(hostRoot, 'web', 'src', 'sdk', 'index.ts')], vue: [join(hostRoot, 'node_modules', 'vue')] },
    },
    include: ['src'],
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function frontendFiles(names: PluginNames, hostRoot: string, versions: { vite: string; vue: string }): FileMap {
  return {
    'web/vite.config.mts': viteConfig,
    'web/src/main.ts': mainTs(names),
    'web/package.json': webPackage(names, versions),
    'web/tsconfig.json': webTsconfig(hostRoot),
    'frontend/manifest.json': manifest,
    'frontend/assets/main.js': prebuiltEntry(names),
  };
}
