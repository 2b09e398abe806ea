import { createApp, type Component } from 'vue';
import { definePlugin, type MountFunction } from '@appnest/frontend';
import ClockPage from './ClockPage.vue';
import ClockWidget from './ClockWidget.vue';

const mountVue =
  (component: Component): MountFunction =>
  (el) => {
    const app = createApp(component);
    app.mount(el);
    return () => app.unmount();
  };

export default definePlugin({
  pages: [{ route: '', title: 'World clock', mount: mountVue(ClockPage) }],
  navigation: [{ title: 'Clock', route: '' }],
  slots: [{ slot: 'home', title: 'Clock', mount: mountVue(ClockWidget) }],
});
