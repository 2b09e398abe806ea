import { shallowRef } from 'vue';

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel?: string;
  danger?: boolean;
  /** A checkbox shown in the dialog (e.g. "also delete its data"); its state comes back as `checked`. */
  checkbox?: string;
}

export interface ConfirmResult {
  confirmed: boolean;
  checked: boolean;
}

export interface ConfirmRequest extends ConfirmOptions {
  resolve(result: ConfirmResult): void;
}

export const pendingConfirm = shallowRef<ConfirmRequest | null>(null);

/** Opens the one confirmation dialog; a dialog still open is cancelled. */
export function confirmDialog(options: ConfirmOptions): Promise<ConfirmResult> {
  pendingConfirm.value?.resolve({ confirmed: false, checked: false });
  return new Promise((resolve) => {
    pendingConfirm.value = {
      ...options,
      resolve: (result) => {
        pendingConfirm.value = null;
        resolve(result);
      },
    };
  });
}
