import { ref } from 'vue';
import { describeError } from '../errors';
import { notify } from '../notifications';

/**
 * One admin change asked from a plugin's card: `busy` while it runs, its outcome notified (the
 * message `work` returns, or the error), and `changed` called after either way, so the list
 * reloads and shows what the server says.
 */
export function useAdminChange(changed: () => void) {
  const busy = ref(false);
  async function run(work: () => Promise<string | undefined>): Promise<void> {
    busy.value = true;
    try {
      const message = await work();
      if (message) notify(message, 'success');
    } catch (err) {
      notify(describeError(err), 'error');
    } finally {
      busy.value = false;
      changed();
    }
  }
  return { busy, run };
}
