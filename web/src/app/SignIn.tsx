import { useState, type FormEvent } from 'react';
import { signInWithKey, signInWithPassword } from './api';

// Shown while signed out: a user's name and password form, how to get a sign-in link, and an API
// key form as a fallback.
export function SignIn({ message }: { message?: string }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const submitPassword = (e: FormEvent) => {
    e.preventDefault();
    if (user.trim() && password) void signInWithPassword(user.trim(), password);
  };
  const submitKey = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) void signInWithKey(key.trim());
  };
  return (
    <div className="key-prompt">
      <h1>Trackly</h1>
      {message && <p className="error">{message}</p>}
      <form className="sign-in" onSubmit={submitPassword}>
        <input name="username" autoComplete="username" placeholder="user" value={user}
          onChange={(e) => setUser(e.target.value)} aria-label="User" />
        <input type="password" name="password" autoComplete="current-password" placeholder="password" value={password}
          onChange={(e) => setPassword(e.target.value)} aria-label="Password" />
        <button type="submit">Sign in</button>
      </form>
      <p>Or open the sign-in link that <code>trackly serve</code> printed, or make a new one with
        {' '}<code>trackly ui-token --project NAME</code> (or <code>--user NAME</code>).</p>
      <form onSubmit={submitKey}>
        <p>Or use an API key (scope <code>read</code>; <code>admin</code> for settings). It is kept in this tab only.</p>
        <input type="password" name="api-key" placeholder="tk-…" value={key}
          onChange={(e) => setKey(e.target.value)} aria-label="API key" />
        <button type="submit">Open</button>
      </form>
    </div>
  );
}
