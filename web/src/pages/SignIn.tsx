import { useApolloClient } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { useSessionManager } from '../auth/SessionContext.tsx';
import { Field } from '../components/common.tsx';
import { fieldErrors, type FieldErrors } from '../lib/form-errors.ts';
import { Link, navigate, useLocation } from '../router.tsx';

const FIELDS = { name: 'Name', email: 'E-mail', password: 'Password' };
type Fields = keyof typeof FIELDS;

/** Sign in (mode "in") or create an account (mode "up"); both end signed in and go where the visitor was going. */
export function SignInPage({ mode }: { mode: 'in' | 'up' }) {
  const manager = useSessionManager();
  const client = useApolloClient();
  const { search } = useLocation();
  const next = search.get('next') ?? '/';
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [busy, setBusy] = useState(false);
  const title = mode === 'in' ? 'Sign in' : 'Create your account';

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: Fields) => String(form.get(name) ?? '');
    setBusy(true);
    try {
      const result = mode === 'in' ? await manager.signIn(text('email'), text('password')) : await manager.signUp(text('name'), text('email'), text('password'));
      if (result.kind === 'signed-in') {
        // Go on at once (the header already shows the visitor signed in, and may be clicked), then refetch what
        // the cache holds as the signed-in user.
        navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/');
        await client.resetStore();
      } else if (result.kind === 'refused') {
        // logIn answers one error about the whole input for a wrong e-mail or password alike, on purpose: shown above the form.
        setErrors(fieldErrors(result.errors, FIELDS));
      } else {
        setErrors({ form: result.message });
      }
    } finally {
      setBusy(false);
    }
  };

  const input = (name: Fields, type: string, autoComplete: string) => (
    <Field id={`auth-${name}`} label={FIELDS[name]} error={errors[name]}>
      <input
        id={`auth-${name}`}
        name={name}
        type={type}
        autoComplete={autoComplete}
        required
        aria-invalid={Boolean(errors[name])}
        aria-describedby={errors[name] ? `auth-${name}-error` : undefined}
      />
    </Field>
  );

  return (
    <section className="narrow" aria-labelledby="auth-title">
      <h1 id="auth-title">{title}</h1>
      <form className="panel form" onSubmit={(event) => void submit(event)} noValidate>
        {errors.form ? (
          <p className="error" role="alert">
            {errors.form}
          </p>
        ) : null}
        {mode === 'up' ? input('name', 'text', 'name') : null}
        {input('email', 'email', 'email')}
        {input('password', 'password', mode === 'in' ? 'current-password' : 'new-password')}
        <button type="submit" className="primary" disabled={busy}>
          {title}
        </button>
      </form>
      <p>
        {mode === 'in' ? (
          <>
            New here? <Link to={`/sign-up?next=${encodeURIComponent(next)}`}>Create an account</Link>
          </>
        ) : (
          <>
            Have an account? <Link to={`/sign-in?next=${encodeURIComponent(next)}`}>Sign in</Link>
          </>
        )}
      </p>
    </section>
  );
}
