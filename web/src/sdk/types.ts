/** A call to a plugin's backend that did not answer 2xx. */
export interface ApiErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  [key: string]: unknown;
}

/** Calls under one base URL (a plugin's `/api/plugins/<id>`), with JSON in and out and the admin session's token. */
export interface ApiClient {
  readonly base: string;
  request<T = unknown>(method: string, path?: string, body?: unknown, init?: RequestInit): Promise<T>;
  get<T = unknown>(path?: string): Promise<T>;
  post<T = unknown>(path?: string, body?: unknown): Promise<T>;
  put<T = unknown>(path?: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path?: string, body?: unknown): Promise<T>;
  delete<T = unknown>(path?: string): Promise<T>;
}

/** The signed-in admin session, if any. */
export interface HostSession {
  readonly signedIn: boolean;
  token(): string | null;
  /** Called on sign-in and sign-out; returns a function that stops listening. */
  onChange(listener: (signedIn: boolean) => void): () => void;
}

export type NotificationKind = 'info' | 'success' | 'error';

/** What the host gives each plugin: its API client, the session, navigation and notifications. */
export interface PluginHost {
  readonly pluginId: string;
  readonly api: ApiClient;
  readonly session: HostSession;
  /** The URL of one of this plugin's pages (`pagePath('')` is its first page). */
  pagePath(route: string): string;
  /** Goes to a URL of the SPA without reloading (a plugin page path, `/` or `/admin`). */
  navigate(to: string): void;
  notify(message: string, kind?: NotificationKind): void;
}

/** Undoes a mount: unmount the Vue app, remove listeners, stop timers. */
export type Unmount = () => void;
export type MountFunction = (el: HTMLElement, host: PluginHost) => void | Unmount | Promise<void | Unmount>;

/** A page of the plugin, at `/plugins/<id>/<route>`. */
export interface PageDefinition {
  route: string;
  title: string;
  mount: MountFunction;
}

/** A navigation entry pointing to one of the plugin's pages. */
export interface NavigationItem {
  title: string;
  route: string;
}

/** Host slots a plugin can add to: `home` (widgets on the home page), `header` (the top bar). */
export type SlotName = 'home' | 'header';

export interface SlotDefinition {
  slot: SlotName;
  title?: string;
  mount: MountFunction;
}

/**
 * The default export of a plugin's entry. Without `navigation`, every page gets a navigation item
 * with its title; `setup` runs once when the plugin loads and may return a teardown.
 */
export interface PluginDefinition {
  pages?: PageDefinition[];
  navigation?: NavigationItem[];
  slots?: SlotDefinition[];
  setup?(host: PluginHost): void | Unmount | Promise<void | Unmount>;
}
