// Sign in, create an account, verify it with the emailed code, and answer the TOTP challenge.
import { useState, type FormEvent, type ReactNode } from "react";
import { Alert } from "../components/Alert";
import { useAuth } from "./AuthContext";
import { authErrorMessage } from "./cognito";

type Mode = "signIn" | "signUp" | "verify" | "totp";

/** Cognito's rule for this pool (stacks/auth.yaml): 12+ characters, upper, lower, digit, symbol. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 12) problems.push("at least 12 characters");
  if (!/[A-Z]/.test(password)) problems.push("an uppercase letter");
  if (!/[a-z]/.test(password)) problems.push("a lowercase letter");
  if (!/[0-9]/.test(password)) problems.push("a digit");
  if (!/[^A-Za-z0-9]/.test(password)) problems.push("a symbol");
  return problems;
}

function Card({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <div className="auth-screen">
      <div className="auth-brand">
        <span className="brand-mark" aria-hidden="true">◆</span> Plot Palette
      </div>
      <section className="auth-card" aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
        {children}
      </section>
    </div>
  );
}

export function AuthPage() {
  const { auth, config, signedIn, expired, lastEmail } = useAuth();
  const [mode, setMode] = useState<Mode>("signIn");
  const [email, setEmail] = useState(lastEmail);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function go(next: Mode, message: string | null = null) {
    setMode(next);
    setError(null);
    setNotice(message);
    setCode("");
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(authErrorMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  function onSignIn(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const outcome = await auth.signIn(email.trim(), password);
      if (outcome.kind === "signedIn") signedIn(outcome.user);
      else if (outcome.kind === "totp") go("totp");
      else go("verify", "Your account is not verified yet. Enter the code we emailed you.");
    });
  }

  function onSignUp(event: FormEvent) {
    event.preventDefault();
    const problems = passwordProblems(password);
    if (problems.length > 0) {
      setError(`The password needs ${problems.join(", ")}.`);
      return;
    }
    void run(async () => {
      await auth.signUp(email.trim(), password);
      go("verify", `We sent a verification code to ${email.trim()}.`);
    });
  }

  function onVerify(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await auth.confirmSignUp(email.trim(), code.trim());
      setPassword("");
      go("signIn", "Your account is verified. Sign in to continue.");
    });
  }

  function onTotp(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      signedIn(await auth.submitTotp(code.trim()));
    });
  }

  async function fillFromMailbox() {
    if (!config.localMailbox) return;
    setError(null);
    try {
      const response = await fetch(config.localMailbox + encodeURIComponent(email.trim()));
      const body = (await response.json()) as { code?: string; message?: string };
      if (response.ok && body.code) setCode(body.code);
      else setError(body.message ?? "No code in the local mailbox yet.");
    } catch {
      setError("The local mailbox is not reachable.");
    }
  }

  const alerts = (
    <>
      {expired && mode === "signIn" && !notice && (
        <Alert kind="warning">Your session expired. Sign in again; unsaved template drafts are kept.</Alert>
      )}
      {notice && <Alert kind="info">{notice}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
    </>
  );

  const emailField = (
    <div className="field">
      <label htmlFor="auth-email">Email</label>
      <input
        id="auth-email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
      />
    </div>
  );

  if (mode === "signUp") {
    return (
      <Card title="Create your account" subtitle="Generate synthetic training data within a budget you set.">
        {alerts}
        <form onSubmit={onSignUp} noValidate>
          {emailField}
          <div className="field">
            <label htmlFor="auth-password">Password</label>
            <input
              id="auth-password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-describedby="password-rule"
            />
            <p id="password-rule" className="hint">
              12 or more characters with upper- and lowercase letters, a digit and a symbol.
            </p>
          </div>
          <button type="submit" className="btn primary wide" disabled={busy}>
            Create account
          </button>
        </form>
        <p className="switch">
          Already have an account?{" "}
          <a href="#sign-in" onClick={(event) => { event.preventDefault(); go("signIn"); }}>
            Sign in instead
          </a>
        </p>
      </Card>
    );
  }

  if (mode === "verify") {
    return (
      <Card title="Verify your email" subtitle={email}>
        {alerts}
        <form onSubmit={onVerify} noValidate>
          <div className="field">
            <label htmlFor="auth-code">Verification code</label>
            <input
              id="auth-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
            {config.localMailbox && (
              <p className="hint">
                Local cloud: codes land in the local mailbox.{" "}
                <button type="button" className="btn-link" onClick={() => void fillFromMailbox()}>
                  Fill in from the local mailbox
                </button>
              </p>
            )}
          </div>
          <button type="submit" className="btn primary wide" disabled={busy || code.trim() === ""}>
            Verify
          </button>
        </form>
        <p className="switch">
          <button
            type="button"
            className="btn-link"
            disabled={busy}
            onClick={() => void run(async () => { await auth.resendCode(email.trim()); setNotice("We sent a new code."); })}
          >
            Send a new code
          </button>{" "}
          ·{" "}
          <a href="#sign-in" onClick={(event) => { event.preventDefault(); go("signIn"); }}>
            Sign in instead
          </a>
        </p>
      </Card>
    );
  }

  if (mode === "totp") {
    return (
      <Card title="Two-step verification" subtitle="Enter the 6-digit code from your authenticator app.">
        {alerts}
        <form onSubmit={onTotp} noValidate>
          <div className="field">
            <label htmlFor="auth-totp">Authentication code</label>
            <input
              id="auth-totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
          </div>
          <button type="submit" className="btn primary wide" disabled={busy || code.trim() === ""}>
            Continue
          </button>
        </form>
        <p className="switch">
          <a href="#sign-in" onClick={(event) => { event.preventDefault(); go("signIn"); }}>
            Sign in instead
          </a>
        </p>
      </Card>
    );
  }

  return (
    <Card title="Sign in to Plot Palette" subtitle="Plot Palette: synthetic LLM training data on AWS.">
      {alerts}
      <form onSubmit={onSignIn} noValidate>
        {emailField}
        <div className="field">
          <label htmlFor="auth-password">Password</label>
          <input
            id="auth-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <button type="submit" className="btn primary wide" disabled={busy}>
          Sign in
        </button>
      </form>
      <p className="switch">
        New to Plot Palette?{" "}
        <a href="#create-account" onClick={(event) => { event.preventDefault(); go("signUp"); }}>
          Create an account
        </a>
      </p>
    </Card>
  );
}
