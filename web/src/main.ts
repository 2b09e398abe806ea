import { createApp } from 'vue';
import App from './App.vue';
import { refreshPlugins } from './plugin-registry';
import './styles.css';

const REFRESH_EVERY_MS = 30000;

createApp(App).mount('#app');
void refreshPlugins();

// Another admin (or the CLI) may enable or disable plugins: look again when the tab comes back, and now and then.
window.addEventListener('focus', () => void refreshPlugins());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshPlugins();
});
setInterval(() => {
  if (document.visibilityState === 'visible') void refreshPlugins();
}, REFRESH_EVERY_MS);
