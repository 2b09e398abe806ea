import { ref } from 'vue';

/** The SPA's path; history API only, the server answers index.html for every non-/api path. */
export const currentPath = ref(location.pathname);

window.addEventListener('popstate', () => {
  currentPath.value = location.pathname;
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  currentPath.value = location.pathname;
  window.scrollTo(0, 0);
}

/** `/plugins/<id>/<route>`, or `/plugins/<id>` for the route ''. */
export function pluginPagePath(pluginId: string, route: string): string {
  const clean = route.replace(/^\/+|\/+$/g, '');
  return `/plugins/${pluginId}${clean ? `/${clean}` : ''}`;
}
