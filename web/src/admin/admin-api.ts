import { ApiError, createApiClient, type ApiErrorBody } from '@appnest/frontend';
import { session } from '../session';

import type { PluginView as AdminPlugin } from '../../../src/contracts/plugin-view';

// The plugin's shape is the host's own (src/contracts/plugin-view.ts), not a copy of it.
export type { ActionDescriptor as PluginAction, PluginMetricsSummary, PluginView as AdminPlugin, SettingDescriptor as SettingField } from '../../../src/contracts/plugin-view';

/** A plugin's entry in GET /api/health: what its health check (or its state) says. */
export interface PluginHealth {
  id: string;
  state: string;
  status: 'ok' | 'degraded' | 'failed' | 'disabled';
  reason?: string;
  error?: string;
}

/** The per-plugin entries of GET /api/health (no token needed), by plugin id; empty when it does not answer. */
export async function loadPluginHealth(): Promise<Map<string, PluginHealth>> {
  try {
    const res = await fetch('/api/health', { headers: { accept: 'application/json' } });
    if (!res.ok) return new Map();
    const report = (await res.json()) as { plugins?: PluginHealth[] };
    return new Map((report.plugins ?? []).map((p) => [p.id, p]));
  } catch {
    return new Map();
  }
}

export const SECRET_MASK = '********';
export const adminApi = createApiClient('/api/admin', session.token);

/** Uploads a plugin zip (multipart field `file`), reporting upload progress from 0 to 1. */
export function uploadPluginArchive(file: File, overwrite: boolean, onProgress: (fraction: number) => void): Promise<AdminPlugin> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/admin/plugins/import${overwrite ? '?overwrite=true' : ''}`);
    xhr.setRequestHeader('authorization', `Bearer ${session.token() ?? ''}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { message: xhr.responseText || xhr.statusText };
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as AdminPlugin);
      } else reject(new ApiError(xhr.status, { statusCode: xhr.status, ...(body as ApiErrorBody) }));
    };
    xhr.onerror = () => reject(new Error('The upload failed: the server could not be reached.'));
    const form = new FormData();
    if (overwrite) form.append('overwrite', 'true');
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export type { ActiveJob, JobsSummary, JobView, QueuedJob } from '../../../src/contracts/job-view';
import type { QueuedJob } from '../../../src/contracts/job-view';

export function isQueuedJob(result: unknown): result is QueuedJob {
  return !!result && typeof result === 'object' && (result as { status?: unknown }).status === 'queued' && 'jobId' in result;
}
