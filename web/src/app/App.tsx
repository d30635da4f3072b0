import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { getAuth, onAuthChange, signOut, startAuth } from './api';
import { SignIn } from './SignIn';
import { Link, useLocation } from './router';
import { TracesPage } from '../traces/TracesPage';
import { TraceViewPage } from '../trace-view/TraceViewPage';
import { SessionsPage } from '../sessions/SessionsPage';
import { SessionPage } from '../sessions/SessionPage';
import { SettingsPage } from '../settings/SettingsPage';

// The dashboard and its chart library load when it is first opened.
const DashboardPage = lazy(() => import('../dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })));

function Page({ path, search, project }: { path: string; search: string; project: string }) {
  const [, section, id] = path.split('/');
  const decoded = id ? decodeURIComponent(id) : '';
  if (section === 'traces' && id) return <TraceViewPage traceId={decoded} />;
  if (section === 'sessions' && id) return <SessionPage sessionId={decoded} />;
  if (section === 'sessions') return <SessionsPage />;
  if (section === 'settings') return <SettingsPage project={project} />;
  if (section === 'dashboard') {
    return <Suspense fallback={<p className="loading">Loading…</p>}><DashboardPage search={search} /></Suspense>;
  }
  if (section === '' || section === 'traces') return <TracesPage search={search} />;
  return <p className="empty">No such page.</p>;
}

export function App() {
  const auth = useSyncExternalStore(onAuthChange, getAuth);
  const { path, search } = useLocation();
  useEffect(() => { void startAuth(); }, []);
  if (auth.state === 'checking') return <p className="loading">Signing in…</p>;
  if (auth.state === 'signed-out') return <SignIn message={auth.message} />;
  const section = path.split('/')[1] || 'traces';
  return (
    <div className="app">
      <header className="top">
        <span className="brand">Trackly</span>
        <nav>
          <Link to="/traces" className={section === 'traces' ? 'active' : ''}>Traces</Link>
          <Link to="/sessions" className={section === 'sessions' ? 'active' : ''}>Sessions</Link>
          <Link to="/dashboard" className={section === 'dashboard' ? 'active' : ''}>Dashboard</Link>
          <Link to="/settings" className={section === 'settings' ? 'active' : ''}>Settings</Link>
        </nav>
        <span className="project">project <b>{auth.project}</b></span>
        <button className="link" onClick={() => { void signOut(); }}>Sign out</button>
      </header>
      <main>
        <Page path={path} search={search} project={auth.project} />
      </main>
    </div>
  );
}
