import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// A plugin frontend: one JS entry whose default export describes the plugin, built with a
// manifest into ../frontend. vue and @appnest/frontend come from the host's import map.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [vue()],
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
