import { useState, type FormEvent } from 'react';
import { signInWithKey } from './api';

// Shown while signed out: how to get a sign-in link, and an API key form as a fallback.
export function SignIn({ message }: { message?: string }) {
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) void signInWithKey(key.trim());
  };
  return (
    <form className="key-prompt" onSubmit={submit}>
      <h1>Trackly</h1>
      <p>Open the sign-in link that <code>trackly serve</code> printed, or make a new one with
        {' '}<code>trackly ui-token --project NAME</code>.</p>
      {message && <p className="error">{message}</p>}
      <p>Or use an API key (scope <code>read</code>; <code>admin</code> for settings). It is kept in this tab only.</p>
      <input type="password" name="api-key" placeholder="tk-…" value={key}
        onChange={(e) => setKey(e.target.value)} aria-label="API key" />
      <button type="submit">Open</button>
    </form>
  );
}
