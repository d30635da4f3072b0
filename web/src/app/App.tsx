import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { canAdmin, getAuth, onAuthChange, openProjectNamed, signOut, startAuth, useApi, type Auth } from './api';
import { SignIn } from './SignIn';
import { Link, useLocation } from './router';
import { TracesPage } from '../traces/TracesPage';
import { TraceViewPage } from '../trace-view/TraceViewPage';
import { DiffPage } from '../trace-view/DiffPage';
import { SessionsPage } from '../sessions/SessionsPage';
import { SessionPage } from '../sessions/SessionPage';
import { ProjectsSection, SettingsPage } from '../settings/SettingsPage';
import { AuditPage } from '../audit/AuditPage';
import { WorkflowPage } from '../workflow/WorkflowPage';
import { AlertsPage } from '../alerts/AlertsPage';
import { LivePage } from '../live/LivePage';

// The dashboard and its chart library load when it is first opened.
const DashboardPage = lazy(() => import('../dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })));

type SignedIn = Extract<Auth, { state: 'signed-in' }>;

function Page({ path, search, auth }: { path: string; search: string; auth: SignedIn }) {
  const [, section, id, sub] = path.split('/');
  const decoded = id ? decodeURIComponent(id) : '';
  // A user without any project yet can only make one.
  if (!auth.project) return <section><h1>Welcome, {auth.user}</h1><ProjectsSection auth={auth} /></section>;
  if (section === 'traces' && id && sub === 'diff') return <DiffPage traceId={decoded} search={search} />;
  if (section === 'traces' && id) return <TraceViewPage traceId={decoded} />;
  if (section === 'sessions' && id) return <SessionPage sessionId={decoded} />;
  if (section === 'sessions') return <SessionsPage />;
  if (section === 'settings') return <SettingsPage auth={auth} />;
  if (section === 'audit') return <AuditPage search={search} />;
  if (section === 'workflow') return <WorkflowPage search={search} />;
  if (section === 'alerts') return <AlertsPage />;
  if (section === 'live') return <LivePage search={search} />;
  if (section === 'dashboard') {
    return <Suspense fallback={<p className="loading">Loading…</p>}><DashboardPage search={search} /></Suspense>;
  }
  if (section === '' || section === 'traces') return <TracesPage search={search} />;
  return <p className="empty">No such page.</p>;
}

// The open project, and for a user with several a menu to open another. Keyed by the open project,
// so opening or creating one reloads the list.
function ProjectPicker({ auth }: { auth: SignedIn }) {
  const projects = useApi<{ data: { name: string; role: string | null }[] }>(auth.user ? '/api/v1/projects' : null);
  const names = projects.state === 'done' ? projects.data.data.map((p) => p.name) : [];
  if (!auth.user || names.length < 2) {
    return <span className="project">project <b>{auth.project || '—'}</b>{auth.role && <> · {auth.role}</>}</span>;
  }
  return (
    <span className="project">
      <select aria-label="Project" value={auth.project} onChange={(e) => { void openProjectNamed(e.target.value); }}>
        {names.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
      {auth.role && <> · {auth.role}</>}
    </span>
  );
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
          <Link to="/live" className={section === 'live' ? 'active' : ''}>Live</Link>
          <Link to="/sessions" className={section === 'sessions' ? 'active' : ''}>Sessions</Link>
          <Link to="/dashboard" className={section === 'dashboard' ? 'active' : ''}>Dashboard</Link>
          <Link to="/workflow" className={section === 'workflow' ? 'active' : ''}>Workflow</Link>
          <Link to="/alerts" className={section === 'alerts' ? 'active' : ''}>Alerts</Link>
          <Link to="/settings" className={section === 'settings' ? 'active' : ''}>Settings</Link>
          {canAdmin(auth) && <Link to="/audit" className={section === 'audit' ? 'active' : ''}>Audit</Link>}
        </nav>
        <ProjectPicker key={auth.project} auth={auth} />
        {!auth.rawIo && <span className="muted" title="Your role hides inputs and outputs">inputs/outputs hidden</span>}
        {auth.user && <span className="user">{auth.user}</span>}
        <button className="link" onClick={() => { void signOut(); }}>Sign out</button>
      </header>
      <main key={auth.project}>
        <Page path={path} search={search} auth={auth} />
      </main>
    </div>
  );
}
