// Settings of the signed-in project: its API keys and its own model prices. Needs the admin
// scope (a UI session has it; a pasted key may not, which the page then says).
import { useState, type FormEvent } from 'react';
import { requestJson, useApi } from '../app/api';
import { formatTime } from '../shared/format';
import { Problem } from '../shared/TypeIcon';

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

export function SettingsPage({ project }: { project: string }) {
  return (
    <section>
      <h1>Settings · project {project}</h1>
      <KeysSection />
      <PricesSection />
    </section>
  );
}
