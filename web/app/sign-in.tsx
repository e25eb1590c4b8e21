/**
 * Sign in by magic link: `POST /api/auth/login {email}` emails a link to
 * `/api/auth/callback?token=…`, which sets the `leedz_session` cookie and comes back to `/`.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../shared/api.js';
import { useSession } from './session.js';

export function SignInPage() {
  const { me } = useSession();
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  if (me !== null) {
    return (
      <section class="card narrow">
        <h1>Signed in</h1>
        <p>
          You are signed in as <strong>{me.username}</strong>. <a href="/">Go to the marketplace</a>
        </p>
      </section>
    );
  }
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {sentTo !== undefined ? (
        <div class="notice ok" role="status">
          <p>
            A sign-in link is on its way to <strong>{sentTo}</strong>. It works once, for 15 minutes.
          </p>
          <p class="small">
            Running the Leedz on your own machine? The email is in the <a href="/console#outbox">operations console’s outbox</a>.
          </p>
        </div>
      ) : (
        <p class="muted">No password: we email you a link that signs you in. A new address gets a new account.</p>
      )}
      <form
        noValidate
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await api.post('/api/auth/login', { email });
            setSentTo(email.trim());
          } catch (e) {
            const field = e instanceof ApiError ? e.fieldMessage('email') : undefined;
            setError(field === undefined ? messageOf(e) : `Email ${field}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field">
          <label for="signin-email">Email</label>
          <input
            id="signin-email"
            type="email"
            autoComplete="email"
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            aria-invalid={error !== undefined ? 'true' : undefined}
            aria-describedby={error !== undefined ? 'signin-email-error' : undefined}
          />
          {error !== undefined && (
            <p class="field-error" id="signin-email-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {sentTo === undefined ? 'Email me a sign-in link' : 'Send another link'}
        </button>
      </form>
    </section>
  );
}
