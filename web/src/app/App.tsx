import { useEffect, useState, useSyncExternalStore } from 'react';
import { getApiKey, onApiKeyChange, setApiKey } from './api';
import { KeyPrompt } from './KeyPrompt';
import { Link, useLocation } from './router';
import { TracesPage } from '../traces/TracesPage';
import { TraceViewPage } from '../trace-view/TraceViewPage';
import { SessionsPage } from '../sessions/SessionsPage';
import { SessionPage } from '../sessions/SessionPage';

function Page({ path, search }: { path: string; search: string }) {
  const [, section, id] = path.split('/');
  const decoded = id ? decodeURIComponent(id) : '';
  if (section === 'traces' && id) return <TraceViewPage traceId={decoded} />;
  if (section === 'sessions' && id) return <SessionPage sessionId={decoded} />;
  if (section === 'sessions') return <SessionsPage />;
  if (section === '' || section === 'traces') return <TracesPage search={search} />;
  return <p className="empty">No such page.</p>;
}

export function App() {
  const key = useSyncExternalStore(onApiKeyChange, getApiKey);
  const { path, search } = useLocation();
  // A key that disappears while the UI is open was rejected by the server (401).
  const [hadKey, setHadKey] = useState(key !== null);
  useEffect(() => { if (key) setHadKey(true); }, [key]);
  if (!key) return <KeyPrompt rejected={hadKey} />;
  const section = path.split('/')[1] || 'traces';
  return (
    <div className="app">
      <header className="top">
        <span className="brand">Trackly</span>
        <nav>
          <Link to="/traces" className={section === 'traces' ? 'active' : ''}>Traces</Link>
          <Link to="/sessions" className={section === 'sessions' ? 'active' : ''}>Sessions</Link>
        </nav>
        <button className="link" onClick={() => { setHadKey(false); setApiKey(null); }}>Forget key</button>
      </header>
      <main>
        <Page path={path} search={search} />
      </main>
    </div>
  );
}
