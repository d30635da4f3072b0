// The query API client. For this increment the UI authenticates with an API key (scope `read`)
// that the user pastes once; it is kept in sessionStorage, so it is gone when the tab closes.
// (Users, roles and session cookies come later; docs/ui.md.)
import { useEffect, useState } from 'react';

const kKeyName = 'trackly.apiKey';
const keyListeners = new Set<() => void>();

export function getApiKey(): string | null {
  return sessionStorage.getItem(kKeyName);
}

export function setApiKey(key: string | null) {
  if (key) sessionStorage.setItem(kKeyName, key); else sessionStorage.removeItem(kKeyName);
  keyListeners.forEach((l) => l());
}

export function onApiKeyChange(listener: () => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

// GETs `path` ("/api/v1/traces?limit=50") as JSON. A 401 forgets the key, which shows the key
// prompt again.
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const key = getApiKey();
  const res = await fetch(path, { signal, headers: key ? { Authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  let body: unknown = null;
  try { body = JSON.parse(text); } catch { /* reported below */ }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401) setApiKey(null);
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`);
  }
  if (body === null) throw new ApiError(res.status, 'bad_json', 'the server sent no JSON');
  return body as T;
}

export type Loadable<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'done'; data: T };

// Loads `path` whenever it changes; an older answer never overwrites a newer one.
export function useApi<T>(path: string | null): Loadable<T> {
  const [result, setResult] = useState<Loadable<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setResult({ state: 'loading' });
    getJson<T>(path, controller.signal).then(
      (data) => setResult({ state: 'done', data }),
      (error: Error) => { if (!controller.signal.aborted) setResult({ state: 'error', error }); },
    );
    return () => controller.abort();
  }, [path]);
  return result;
}
