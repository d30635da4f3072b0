import { useState, type FormEvent } from 'react';
import { setApiKey } from './api';

// Asks for an API key with the `read` scope once per browser tab.
export function KeyPrompt({ rejected }: { rejected: boolean }) {
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) setApiKey(key.trim());
  };
  return (
    <form className="key-prompt" onSubmit={submit}>
      <h1>Trackly</h1>
      <p>Enter an API key with the <code>read</code> scope (<code>trackly keys create --scopes read</code>).
        It is kept in this tab only.</p>
      {rejected && <p className="error">That key was not accepted.</p>}
      <input type="password" name="api-key" autoFocus placeholder="tk-…" value={key}
        onChange={(e) => setKey(e.target.value)} aria-label="API key" />
      <button type="submit">Open</button>
    </form>
  );
}
