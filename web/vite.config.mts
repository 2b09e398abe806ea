import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const SDK_ENTRY = 'appnest-frontend';
const SHARED = ['vue', '@appnest/frontend'];

/**
 * Vue and the appnest frontend SDK are loaded once, through an import map, by the SPA and by
 * every plugin bundle (which marks them external). Vue's browser ESM build is copied under a
 * content-hashed name; the SDK is built as its own entry with its exports kept.
 */
function sharedModules(): Plugin {
  const vueFile = createRequire(import.meta.url).resolve('vue/dist/vue.esm-browser.prod.js');
  const vueSource = readFileSync(vueFile);
  const vuePath = `assets/vue-${createHash('sha256').update(vueSource).digest('hex').slice(0, 10)}.js`;
  return {
    name: 'appnest-shared-modules',
    apply: 'build',
    enforce: 'post',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        this.emitFile({ type: 'asset', fileName: vuePath, source: vueSource });
        const sdk = Object.values(bundle).find((chunk) => chunk.type === 'chunk' && chunk.isEntry && chunk.name === SDK_ENTRY);
        const html = bundle['index.html'];
        if (!sdk || !html || html.type !== 'asset') throw new Error('appnest: the SDK chunk or index.html is missing from the build');
        const importMap = JSON.stringify({ imports: { vue: `/${vuePath}`, '@appnest/frontend': `/${sdk.fileName}` } });
        html.source = String(html.source).replace('<head>', `<head>\n    <script type="importmap">${importMap}</script>`);
      },
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [vue(), sharedModules()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    rolldownOptions: {
      input: { index: 'index.html', [SDK_ENTRY]: 'src/sdk/index.ts' },
      external: SHARED,
      preserveEntrySignatures: 'strict',
    },
  },
});
