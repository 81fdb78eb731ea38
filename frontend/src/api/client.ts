/** fetch() against the CRM API with the Django session: X-Tenant header, CSRF token. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(detail);
  }
}

let tenantSlug: string | null = null;
let apiBase = '/api';

export function configureApi(options: { tenant: string | null; base?: string }): void {
  tenantSlug = options.tenant;
  if (options.base) apiBase = options.base;
}

export function currentTenant(): string | null {
  return tenantSlug;
}

export function apiUrl(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(key, value);
  }
  const text = params.toString();
  return `${apiBase}${path}${text ? `?${text}` : ''}`;
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  query?: Record<string, string | undefined>,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (tenantSlug) headers['X-Tenant'] = tenantSlug;
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(apiUrl(path, query), {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail =
      data && typeof data === 'object' && 'detail' in data
        ? String((data as { detail: unknown }).detail)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, detail, data);
  }
  return data as T;
}
