/** Told of every scheduled-task run a plugin's guard lets through: its outcome and duration. */
export interface TaskObserver {
  taskRan(pluginId: string, task: string, seconds: number, failed: boolean): void;
}
