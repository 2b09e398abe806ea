import { reactive } from 'vue';
import type { HostSession } from '@appnest/frontend';

const STORAGE_KEY = 'appnest.adminToken';
const state = reactive({ token: sessionStorage.getItem(STORAGE_KEY) });
const listeners = new Set<(signedIn: boolean) => void>();

function setToken(token: string | null): void {
  state.token = token;
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(!!token);
}

/** The admin session: the bearer token lives in sessionStorage, so it ends with the tab. */
export const session = {
  get signedIn(): boolean {
    return !!state.token;
  },
  token: (): string | null => state.token,
  signIn: (token: string): void => setToken(token),
  signOut: (): void => setToken(null),
};

/** The read-only view of the session that plugins get. */
export const pluginSession: HostSession = Object.freeze({
  get signedIn() {
    return session.signedIn;
  },
  token: session.token,
  onChange(listener: (signedIn: boolean) => void) {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
});
