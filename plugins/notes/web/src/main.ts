import { createApp } from 'vue';
import { definePlugin } from '@appnest/frontend';
import NotesPage from './NotesPage.vue';

export default definePlugin({
  pages: [
    {
      route: '',
      title: 'Notes',
      mount(el, host) {
        const app = createApp(NotesPage, { host });
        app.mount(el);
        return () => app.unmount();
      },
    },
  ],
});
