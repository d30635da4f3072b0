// The API client and who the UI is signed in as.
//
// Signing in (docs/ui.md): `trackly serve` / `trackly ui-token` print a one-time link
// "<server>/#login=<token>", or a user (`trackly users`) signs in with name and password. Either
// becomes an HttpOnly session cookie (POST /api/v1/ui/login) and a CSRF token, which the UI sends
// with every request that changes something. Without a link it asks GET /api/v1/ui/session
// whether a cookie is still valid. As a fallback a person can paste an API key, kept in
// sessionStorage (gone when the tab closes).
//
// A signed-in user may have roles in several projects: every request names the one open in the
// UI in X-Trackly-Project, remembered in localStorage for the next visit.
import { useEffect, useState } from 'react';

export type Role = 'viewer' | 'member' | 'admin' | 'owner';

export type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; message?: string }
  | { state: 'signed-in'; project: string; via: 'session' | 'key'; user?: string; role?: Role; rawIo: boolean };

const kKeyName = 'trackly.apiKey';
const kProjectName = 'trackly.project';
const kCsrfHeader = 'X-Trackly-CSRF';
const kProjectHeader = 'X-Trackly-Project';
let auth: Auth = { state: 'checking' };
let csrfToken: string | null = null;
// The project a user's requests name; null for a key or a project's session, which have one.
let openProject: string | null = null;
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
  if (openProject) headers[kProjectHeader] = openProject;
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

// True when the signed-in caller may manage keys, prices and members of the open project.
export function canAdmin(a: Auth): boolean {
  return a.state === 'signed-in' && (a.role === undefined || a.role === 'admin' || a.role === 'owner');
}

interface SessionInfo {
  project: string; auth: 'session' | 'key'; csrf_token?: string; user?: string; role?: Role; raw_io: boolean;
}

async function loadSession(): Promise<void> {
  try {
    let info: SessionInfo;
    try {
      info = await requestJson<SessionInfo>('GET', '/api/v1/ui/session');
    } catch (e) {
      // The remembered project may be gone or no longer ours: fall back to the session's own.
      if (!(e instanceof ApiError && e.status === 403 && openProject)) throw e;
      openProject = null;
      info = await requestJson<SessionInfo>('GET', '/api/v1/ui/session');
    }
    csrfToken = info.csrf_token ?? null;
    if (info.user) {
      openProject = info.project || null;
      if (openProject) localStorage.setItem(kProjectName, openProject);
    }
    setAuth({ state: 'signed-in', project: info.project, via: info.auth, user: info.user, role: info.role,
      rawIo: info.raw_io });
  } catch (e) {
    setAuth({ state: 'signed-out', message: e instanceof ApiError && e.status !== 401 ? e.message : undefined });
  }
}

// Opens another of the signed-in user's projects.
export async function openProjectNamed(name: string): Promise<void> {
  openProject = name;
  await loadSession();
}

// Signs in with the login link's token if the URL carries one (and removes it from the URL and
// the history at once), else resumes a session. Called once on start.
export async function startAuth(): Promise<void> {
  const match = /(?:^#|&)login=([A-Za-z0-9]+)/.exec(window.location.hash);
  if (match) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    await signIn({ token: match[1] });
    return;
  }
  openProject = localStorage.getItem(kProjectName);
  await loadSession();
}

// Exchanges a login token, or a user's name and password, for a session.
async function signIn(body: { token: string } | { user: string; password: string }): Promise<void> {
  try {
    const grant = await requestJson<{ project: string; csrf_token: string; user?: string }>('POST', '/api/v1/ui/login', body);
    csrfToken = grant.csrf_token;
    openProject = grant.user && grant.project ? grant.project : null;
    await loadSession();
  } catch (e) {
    setAuth({ state: 'signed-out', message: e instanceof Error ? e.message : String(e) });
  }
}

export function signInWithPassword(user: string, password: string): Promise<void> {
  return signIn({ user, password });
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
  openProject = null;
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
