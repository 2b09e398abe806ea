import { reactive } from 'vue';
import type { NotificationKind } from '@appnest/frontend';

export interface Notification {
  id: number;
  message: string;
  kind: NotificationKind;
}

export const notifications = reactive<Notification[]>([]);
let nextId = 1;

export function dismiss(id: number): void {
  const index = notifications.findIndex((n) => n.id === id);
  if (index >= 0) notifications.splice(index, 1);
}

/** Shows a message in the corner; errors stay longer. */
export function notify(message: string, kind: NotificationKind = 'info'): void {
  const id = nextId++;
  notifications.push({ id, message, kind });
  setTimeout(() => dismiss(id), kind === 'error' ? 15000 : 6000);
}
