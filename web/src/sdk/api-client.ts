import type { ApiClient, ApiErrorBody } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message ?? `Request failed with status ${status}`);
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.body.code;
  }
}

function join(base: string, path: string): string {
  if (!path) return base;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

async function parse(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!text) return undefined;
  return (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
}

/** An API client for `base`; `token` is read on every call, so a sign-in or sign-out applies at once. */
export function createApiClient(base: string, token: () => string | null = () => null): ApiClient {
  const request = async <T>(method: string, path = '', body?: unknown, init: RequestInit = {}): Promise<T> => {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    const bearer = token();
    if (bearer && !headers.has('authorization')) headers.set('authorization', `Bearer ${bearer}`);
    let payload = init.body;
    if (body !== undefined) {
      headers.set('content-type', 'application/json');
      payload = JSON.stringify(body);
    }
    const res = await fetch(join(base, path), { ...init, method, headers, body: payload });
    const parsed = await parse(res);
    if (!res.ok) {
      const errorBody = parsed && typeof parsed === 'object' ? (parsed as ApiErrorBody) : { message: typeof parsed === 'string' ? parsed : undefined };
      throw new ApiError(res.status, { statusCode: res.status, ...errorBody });
    }
    return parsed as T;
  };
  return {
    base,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    put: (path, body) => request('PUT', path, body),
    patch: (path, body) => request('PATCH', path, body),
    delete: (path) => request('DELETE', path),
  };
}
