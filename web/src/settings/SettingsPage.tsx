// Settings: the caller's projects (open one, create one), and of the open project its tail sampling
// policy and counts (for every reader), its members, API keys and own model prices. The members,
// keys and prices sections need the admin scope: they are shown to admins and owners, to a
// project's login-link session, and to a pasted key (which the page tells when it lacks the scope).
import { useState, type FormEvent } from 'react';
import { canAdmin, openProjectNamed, requestJson, useApi, type Auth, type Role } from '../app/api';
import { formatPercent, formatTime } from '../shared/format';
import { Problem } from '../shared/TypeIcon';
import { fractionText, keptAlways, keptShare, reasonsText, type SamplingResponse } from './sampling';

type SignedIn = Extract<Auth, { state: 'signed-in' }>;

interface ProjectRow { name: string; created_at: string; role: Role | null }
interface Member { user: string; role: Role; raw_io: boolean; created_at: string }

const kRoles: Role[] = ['viewer', 'member', 'admin', 'owner'];

// The caller's projects; a signed-in user can open another and create new ones (owning them).
export function ProjectsSection({ auth }: { auth: SignedIn }) {
  const [version, setVersion] = useState(0);
  const projects = useApi<{ data: ProjectRow[] }>('/api/v1/projects', version);
  const [name, setName] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const create = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    requestJson<ProjectRow>('POST', '/api/v1/projects', { name: name.trim() }).then(
      (p) => { setName(''); setVersion((v) => v + 1); void openProjectNamed(p.name); }, setError);
  };
  return (
    <section className="settings-section">
      <h2>Projects</h2>
      {error && <Problem error={error} />}
      {projects.state === 'error' && <Problem error={projects.error} />}
      {projects.state === 'done' && projects.data.data.length === 0 && (
        <p className="empty">You have no role in any project yet: create one, or ask a project&apos;s owner for a role.</p>
      )}
      {projects.state === 'done' && projects.data.data.length > 0 && (
        <table className="list projects-table">
          <thead><tr><th>Name</th><th>Your role</th><th>Created</th><th /></tr></thead>
          <tbody>
            {projects.data.data.map((p) => (
              <tr key={p.name}>
                <td>{p.name}</td><td>{p.role ?? 'all (this session is for this project)'}</td>
                <td className="nowrap">{formatTime(p.created_at)}</td>
                <td>{p.name === auth.project ? <b>open</b>
                  : <button className="link" onClick={() => { void openProjectNamed(p.name); }}>Open</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {auth.user ? (
        <form className="filters" onSubmit={create}>
          <label>New project<input value={name} onChange={(e) => setName(e.target.value)} aria-label="New project name"
            placeholder="letters, digits, - _ ." /></label>
          <div className="filter-buttons"><button type="submit" disabled={!name.trim()}>Create project</button></div>
        </form>
      ) : (
        <p className="muted">Sign in as a user to see and create other projects (<code>trackly users create</code>).</p>
      )}
    </section>
  );
}

// Who has which role in the open project; admins add existing users, change roles, remove them.
function MembersSection({ auth }: { auth: SignedIn }) {
  const [version, setVersion] = useState(0);
  const members = useApi<{ data: Member[] }>('/api/v1/members', version);
  const [user, setUser] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [rawIo, setRawIo] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const put = (name: string, body: { role: Role; raw_io: boolean }) => {
    setError(null);
    requestJson('PUT', `/api/v1/members/${encodeURIComponent(name)}`, body).then(
      () => { setVersion((v) => v + 1); setUser(''); }, setError);
  };
  const remove = (name: string) => {
    setError(null);
    requestJson('DELETE', `/api/v1/members/${encodeURIComponent(name)}`).then(() => setVersion((v) => v + 1), setError);
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (user.trim()) put(user.trim(), { role, raw_io: rawIo });
  };
  return (
    <section className="settings-section">
      <h2>Members</h2>
      <p className="muted">Viewers read; members also send traces; admins also manage keys, prices and members;
        owners also make owners. Users are created on the server with <code>trackly users create</code>.</p>
      {error && <Problem error={error} />}
      {members.state === 'error' && <Problem error={members.error} />}
      {members.state === 'done' && (
        <table className="list members-table">
          <thead><tr><th>User</th><th>Role</th><th>Inputs/outputs</th><th>Since</th><th /></tr></thead>
          <tbody>
            {members.data.data.map((m) => (
              <tr key={m.user}>
                <td>{m.user}{m.user === auth.user && ' (you)'}</td>
                <td>
                  <select aria-label={`Role of ${m.user}`} value={m.role}
                    onChange={(e) => put(m.user, { role: e.target.value as Role, raw_io: m.raw_io })}>
                    {kRoles.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td>{m.role === 'viewer'
                  ? <label className="inline"><input type="checkbox" checked={m.raw_io}
                    onChange={(e) => put(m.user, { role: m.role, raw_io: e.target.checked })} /> visible</label>
                  : 'visible'}</td>
                <td className="nowrap">{formatTime(m.created_at)}</td>
                <td><button className="link" onClick={() => remove(m.user)}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {members.state === 'done' && members.data.data.length === 0 && <p className="empty">No members yet.</p>}
      <form className="filters" onSubmit={add}>
        <div className="filter-row">
          <label>User<input value={user} onChange={(e) => setUser(e.target.value)} aria-label="Member user name" /></label>
          <label>Role
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Member role">
              {kRoles.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          {role === 'viewer' && (
            <label className="inline"><input type="checkbox" checked={rawIo} onChange={(e) => setRawIo(e.target.checked)} />
              may see inputs and outputs</label>
          )}
          <div className="filter-buttons"><button type="submit" disabled={!user.trim()}>Add or change</button></div>
        </div>
      </form>
    </section>
  );
}

interface ApiKey { id: string; name: string; scopes: string; created_at: string; revoked_at: string | null }
interface NewKey extends ApiKey { key: string; public_key: string; secret_key: string }
interface PriceEntry { id: string; scope: 'project' | 'builtin'; provider: string; model: string; match: string;
  valid_from: string; prices: Record<string, number> }

function KeysSection() {
  const [version, setVersion] = useState(0);
  const keys = useApi<{ data: ApiKey[] }>('/api/v1/keys', version);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('ingest,read');
  const [created, setCreated] = useState<NewKey | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const create = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    requestJson<NewKey>('POST', '/api/v1/keys', { name, scopes }).then(
      (key) => { setCreated(key); setName(''); setVersion((v) => v + 1); }, setError);
  };
  const revoke = (id: string) => {
    setError(null);
    requestJson('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`).then(() => setVersion((v) => v + 1), setError);
  };
  return (
    <section className="settings-section">
      <h2>API keys</h2>
      {error && <Problem error={error} />}
      {created && (
        <div className="secret-once" role="status">
          <p>New key <b>{created.name || created.id}</b>. Copy it now: it is not shown again.</p>
          <dl>
            <dt>Key</dt><dd><code>{created.key}</code></dd>
            <dt>Public / secret (Langfuse clients)</dt><dd><code>{created.public_key}</code> / <code>{created.secret_key}</code></dd>
          </dl>
          <button className="link" onClick={() => setCreated(null)}>Done</button>
        </div>
      )}
      <form className="filters" onSubmit={create}>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} aria-label="Key name" /></label>
        <label>Scopes<input value={scopes} onChange={(e) => setScopes(e.target.value)} aria-label="Key scopes" /></label>
        <div className="filter-buttons"><button type="submit">Create key</button></div>
      </form>
      {keys.state === 'error' && <Problem error={keys.error} />}
      {keys.state === 'done' && (
        <table className="list keys-table">
          <thead><tr><th>Id</th><th>Name</th><th>Scopes</th><th>Created</th><th>Revoked</th><th /></tr></thead>
          <tbody>
            {keys.data.data.map((k) => (
              <tr key={k.id}>
                <td><code>{k.id}</code></td><td>{k.name}</td><td>{k.scopes}</td>
                <td className="nowrap">{formatTime(k.created_at)}</td>
                <td className="nowrap">{k.revoked_at ? formatTime(k.revoked_at) : ''}</td>
                <td>{!k.revoked_at && <button className="link" onClick={() => revoke(k.id)}>Revoke</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const kExamplePrice = '{"provider":"acme","model":"acme-ft-1","match":"acme-ft-1(?:-\\\\d{8})?",\n "valid_from":"2025-01-01","prices":{"input":2,"output":8}}';

function PricesSection() {
  const [version, setVersion] = useState(0);
  const models = useApi<{ data: PriceEntry[] }>('/api/v1/models', version);
  const [entry, setEntry] = useState(kExamplePrice);
  const [error, setError] = useState<Error | null>(null);
  const add = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let body: unknown;
    try { body = JSON.parse(entry); } catch (err) { setError(err as Error); return; }
    requestJson('POST', '/api/v1/models', body).then(() => setVersion((v) => v + 1), setError);
  };
  const remove = (id: string) => {
    setError(null);
    requestJson('DELETE', `/api/v1/models/${encodeURIComponent(id)}`).then(() => setVersion((v) => v + 1), setError);
  };
  const entries = models.state === 'done' ? models.data.data : [];
  const own = entries.filter((m) => m.scope === 'project');
  return (
    <section className="settings-section">
      <h2>Model prices</h2>
      <p className="muted">Project prices (USD per 1M tokens) take precedence over the {entries.length - own.length} built-in
        ones. Stored costs change only when you recompute (<code>trackly cost recompute</code>).</p>
      {error && <Problem error={error} />}
      <form className="price-form" onSubmit={add}>
        <textarea value={entry} onChange={(e) => setEntry(e.target.value)} rows={3} aria-label="Price entry JSON" />
        <button type="submit">Add or replace price</button>
      </form>
      {models.state === 'error' && <Problem error={models.error} />}
      <table className="list prices-table">
        <thead><tr><th>Model</th><th>Match</th><th>Valid from</th><th className="num">Input</th><th className="num">Output</th><th /></tr></thead>
        <tbody>
          {own.map((m) => (
            <tr key={m.id}>
              <td>{m.provider}/{m.model}</td><td><code>{m.match}</code></td><td>{m.valid_from}</td>
              <td className="num">{m.prices.input ?? ''}</td><td className="num">{m.prices.output ?? ''}</td>
              <td><button className="link" onClick={() => remove(m.id)}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {models.state === 'done' && own.length === 0 && <p className="empty">No project prices.</p>}
    </section>
  );
}

// The project's tail sampling policy and what it decided over the last 30 days; admins may replace
// the policy (JSON, as PUT /api/v1/sampling takes it).
function SamplingSection({ admin }: { admin: boolean }) {
  const [version, setVersion] = useState(0);
  const sampling = useApi<SamplingResponse>('/api/v1/sampling', version);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const save = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let body: unknown;
    try { body = JSON.parse(draft ?? ''); } catch (err) { setError(err as Error); return; }
    requestJson('PUT', '/api/v1/sampling', body).then(() => { setDraft(null); setVersion((v) => v + 1); }, setError);
  };
  if (sampling.state === 'error') {
    return <section className="settings-section"><h2>Tail sampling</h2><Problem error={sampling.error} /></section>;
  }
  if (sampling.state !== 'done') return null;
  const { policy, updated, counts } = sampling.data;
  const always = keptAlways(policy);
  return (
    <section className="settings-section sampling-section">
      <h2>Tail sampling</h2>
      {policy.enabled ? (
        <p>Each finished trace is kept when it is one of the {always.length > 0 ? always.join(', ') : '(none)'};
          of the rest, <b>{fractionText(policy.keep_fraction)}</b> are kept. Metrics, alerts and workflow graphs
          count every trace.</p>
      ) : (
        <p>Off: every trace is kept.</p>
      )}
      {updated && <p className="muted">Policy set {formatTime(updated)}.</p>}
      <p aria-label="Sampling counts">
        Last {counts.days} days: <b>{counts.kept}</b> kept, <b>{counts.dropped}</b> dropped
        {keptShare(counts) !== null && <> ({formatPercent(keptShare(counts))} kept)</>}
        {counts.kept > 0 && <> · kept because: {reasonsText(counts.kept_by_reason)}</>}
      </p>
      {counts.daily.length > 0 && (
        <table className="list sampling-table">
          <thead><tr><th>Day (UTC)</th><th className="num">Kept</th><th className="num">Dropped</th><th>Kept because</th></tr></thead>
          <tbody>
            {[...counts.daily].reverse().map((d) => (
              <tr key={d.day}>
                <td className="nowrap">{d.day}</td><td className="num">{d.kept}</td><td className="num">{d.dropped}</td>
                <td>{reasonsText(d.kept_by_reason)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (draft === null ? (
        <button className="link" onClick={() => setDraft(JSON.stringify(policy, null, 1))}>Change policy</button>
      ) : (
        <form className="price-form" onSubmit={save}>
          {error && <Problem error={error} />}
          <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={6} aria-label="Sampling policy JSON" />
          <div className="filter-buttons">
            <button type="submit">Save policy</button>
            <button type="button" className="link" onClick={() => { setDraft(null); setError(null); }}>Cancel</button>
          </div>
        </form>
      ))}
    </section>
  );
}

export function SettingsPage({ auth }: { auth: SignedIn }) {
  return (
    <section>
      <h1>Settings · project {auth.project}</h1>
      <ProjectsSection auth={auth} />
      <SamplingSection admin={canAdmin(auth)} />
      {canAdmin(auth) ? (
        <>
          <MembersSection auth={auth} />
          <KeysSection />
          <PricesSection />
        </>
      ) : (
        <p className="muted">Members, API keys and model prices are managed by the project&apos;s admins
          (your role: {auth.role}).</p>
      )}
    </section>
  );
}
