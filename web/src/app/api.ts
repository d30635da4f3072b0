// The API client and who the UI is signed in as.
//
// Signing in (docs/ui.md): `trackly serve` / `trackly ui-token` print a one-time link
// "<server>/#login=<token>". On start the UI exchanges that token for an HttpOnly session cookie
// (POST /api/v1/ui/login) and a CSRF token, which it sends with every request that changes
// something. Without a link it asks GET /api/v1/ui/session whether a cookie is still valid. As a
// fallback a person can paste an API key, kept in sessionStorage (gone when the tab closes).
import { useEffect, useState } from 'react';

export type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; message?: string }
  | { state: 'signed-in'; project: string; via: 'session' | 'key' };

const kKeyName = 'trackly.apiKey';
const kCsrfHeader = 'X-Trackly-CSRF';
let auth: Auth = { state: 'checking' };
let csrfToken: string | null = null;
const authListeners = new Set<() => void>();

export function getAuth(): Auth {
  return auth;
}

export function onAuthChange(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

function setAuth(next: Auth) {
  auth = next;
  authListeners.forEach((l) => l());
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

// Sends a request and returns its JSON body. A 401 signs the UI out (and forgets a pasted key).
export async function requestJson<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = {};
  const key = sessionStorage.getItem(kKeyName);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (method !== 'GET' && csrfToken) headers[kCsrfHeader] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, signal, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try { parsed = JSON.parse(text); } catch { /* reported below */ }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    const message = error?.message ?? `HTTP ${res.status}`;
    if (res.status === 401 && !path.startsWith('/api/v1/ui/')) {
      sessionStorage.removeItem(kKeyName);
      setAuth({ state: 'signed-out', message });
    }
    throw new ApiError(res.status, error?.code ?? 'http_error', message);
  }
  if (parsed === null) throw new ApiError(res.status, 'bad_json', 'the server sent no JSON');
  return parsed as T;
}

export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return requestJson<T>('GET', path, undefined, signal);
}

interface SessionInfo { project: string; auth: 'session' | 'key'; csrf_token?: string }

async function loadSession(): Promise<void> {
  try {
    const info = await requestJson<SessionInfo>('GET', '/api/v1/ui/session');
    csrfToken = info.csrf_token ?? null;
    setAuth({ state: 'signed-in', project: info.project, via: info.auth });
  } catch (e) {
    setAuth({ state: 'signed-out', message: e instanceof ApiError && e.status !== 401 ? e.message : undefined });
  }
}

// Signs in with the login link's token if the URL carries one (and removes it from the URL and
// the history at once), else resumes a session. Called once on start.
export async function startAuth(): Promise<void> {
  const match = /(?:^#|&)login=([A-Za-z0-9]+)/.exec(window.location.hash);
  if (match) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      const grant = await requestJson<{ project: string; csrf_token: string }>('POST', '/api/v1/ui/login', { token: match[1] });
      csrfToken = grant.csrf_token;
      setAuth({ state: 'signed-in', project: grant.project, via: 'session' });
      return;
    } catch (e) {
      setAuth({ state: 'signed-out', message: e instanceof Error ? e.message : String(e) });
      return;
    }
  }
  await loadSession();
}

export async function signInWithKey(key: string): Promise<void> {
  sessionStorage.setItem(kKeyName, key);
  await loadSession();
  if (auth.state !== 'signed-in') {
    sessionStorage.removeItem(kKeyName);
    setAuth({ state: 'signed-out', message: 'That key was not accepted.' });
  }
}

export async function signOut(): Promise<void> {
  if (auth.state === 'signed-in' && auth.via === 'session') {
    await requestJson('POST', '/api/v1/ui/logout').catch(() => undefined);
  }
  sessionStorage.removeItem(kKeyName);
  csrfToken = null;
  setAuth({ state: 'signed-out' });
}

export type Loadable<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'done'; data: T };

// Loads `path` whenever it (or `version`) changes; an older answer never overwrites a newer one.
export function useApi<T>(path: string | null, version = 0): Loadable<T> {
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
  }, [path, version]);
  return result;
}
