// `/settings/notifications`: hear when a job ends (completed, failed, over budget, cancelled) by
// email and/or a signed webhook. The server checks the webhook URL (https, public addresses only)
// and its refusal is shown beside the field; the signing secret is shown once, when it is created
// or rotated; a test event reports what happened on each channel.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import {
  EVENT_ID_HEADER,
  EVENT_LABELS,
  fieldOfError,
  NOTIFICATION_EVENTS,
  notificationKeys,
  notificationsApi,
  SIGNATURE_HEADER,
  useNotificationSettings,
  type NotificationEvent,
  type NotificationSettings,
  type NotificationSettingsRequest,
  type NotificationTestResult,
} from "../api/notifications";
import { useApi, useAuth } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { Field } from "../components/Field";
import { PageHeader, Panel } from "../components/Layout";
import { formatDateTime } from "../lib/format";

interface FormValues {
  email: boolean;
  webhookUrl: string;
  events: NotificationEvent[];
}

function valuesOf(settings: NotificationSettings): FormValues {
  return { email: settings.email, webhookUrl: settings.webhook_url ?? "", events: [...settings.events] };
}

export function NotificationsPage() {
  const api = useApi();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const settings = useNotificationSettings();
  const [values, setValues] = useState<FormValues | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);

  // the form starts from the saved settings (once: a refetch must not undo the user's edits)
  useEffect(() => {
    if (settings.data && values === null) setValues(valuesOf(settings.data));
  }, [settings.data, values]);

  function saved(next: NotificationSettings) {
    queryClient.setQueryData(notificationKeys.settings, { ...next, webhook_secret: undefined });
    if (next.webhook_secret) setSecret(next.webhook_secret);
  }

  const save = useMutation({
    mutationFn: (body: NotificationSettingsRequest) => notificationsApi.save(api, body),
    onSuccess: (next) => {
      saved(next);
      setValues(valuesOf(next));
    },
  });
  const rotate = useMutation({
    mutationFn: () => notificationsApi.rotateSecret(api),
    onSuccess: (next) => {
      setConfirmRotate(false);
      saved(next);
    },
  });
  const test = useMutation({ mutationFn: () => notificationsApi.sendTest(api) });

  const refusal = save.error ? fieldOfError(save.error.message) : null;
  const dirty =
    values !== null &&
    settings.data !== undefined &&
    JSON.stringify(values) !== JSON.stringify(valuesOf(settings.data));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!values) return;
    test.reset();
    save.mutate({
      email: values.email,
      webhook_url: values.webhookUrl.trim() || null,
      events: NOTIFICATION_EVENTS.filter((name) => values.events.includes(name)),
    });
  }

  function toggleEvent(name: NotificationEvent, on: boolean) {
    setValues((current) =>
      current && { ...current, events: on ? [...current.events, name] : current.events.filter((e) => e !== name) },
    );
  }

  return (
    <>
      <PageHeader
        title="Notifications"
        description="Hear when a job ends: by email, by a webhook your own service receives, or both."
      />
      {settings.error && <Alert kind="error">{settings.error.message}</Alert>}
      {!values ? (
        !settings.error && <p className="muted">Loading your settings…</p>
      ) : (
        <>
          <Panel title="When a job ends" testId="notification-settings">
            <form className="form" onSubmit={submit} noValidate>
              <fieldset className="radio-group" aria-label="Channels">
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={values.email}
                    onChange={(event) => setValues({ ...values, email: event.target.checked })}
                  />
                  Email me{user?.email ? ` at ${user.email}` : ""}
                </label>
              </fieldset>
              <p className="hint">Mail goes to your account's verified address, never to another one.</p>
              <Field
                id="webhook-url"
                label="Webhook URL"
                optional
                error={refusal?.field === "webhook_url" ? refusal.text : null}
                hint="An https URL on a public address. Private, loopback, link-local and cloud metadata addresses are refused. Leave it empty for no webhook."
              >
                <input
                  type="url"
                  inputMode="url"
                  placeholder="https://hooks.example.com/plot-palette"
                  maxLength={2048}
                  value={values.webhookUrl}
                  onChange={(event) => setValues({ ...values, webhookUrl: event.target.value })}
                />
              </Field>
              <fieldset className="radio-group" aria-label="Events" aria-describedby="events-hint">
                {NOTIFICATION_EVENTS.map((name) => (
                  <label key={name} className="checkbox">
                    <input
                      type="checkbox"
                      checked={values.events.includes(name)}
                      onChange={(event) => toggleEvent(name, event.target.checked)}
                    />
                    {EVENT_LABELS[name]}
                  </label>
                ))}
              </fieldset>
              <p id="events-hint" className="hint">
                Which ends of a job to hear about.
                {values.events.length === 0 && " With none chosen, nothing is sent."}
              </p>
              {save.error && refusal?.field !== "webhook_url" && (
                <Alert kind="error" title="Not saved">
                  {save.error.message}
                </Alert>
              )}
              {save.isSuccess && !dirty && (
                <Alert kind="success" testId="notifications-saved">
                  Saved.
                </Alert>
              )}
              <div className="form-actions">
                <button type="submit" className="btn primary" disabled={save.isPending}>
                  {save.isPending ? "Saving…" : "Save"}
                </button>
                {settings.data?.updated_at && (
                  <span className="muted small" data-testid="notifications-updated">
                    Last saved {formatDateTime(settings.data.updated_at)}
                  </span>
                )}
              </div>
            </form>
          </Panel>

          <Panel title="Webhook signing secret" testId="webhook-secret-panel">
            {secret ? (
              <ShownSecret secret={secret} onDone={() => setSecret(null)} />
            ) : (
              <p className="muted" data-testid="secret-state">
                {settings.data?.has_webhook_secret
                  ? "Your deliveries are signed with a secret that was shown once, when it was created or rotated. Lost it? Rotate it: the old one stops working at once."
                  : "A secret is created the first time you save these settings, and shown to you once."}
              </p>
            )}
            {settings.data?.has_webhook_secret &&
              (confirmRotate ? (
                <div className="confirm">
                  <div>
                    <strong>Rotate the signing secret?</strong>
                    <p>Deliveries are signed with the new secret from now on; the old one stops verifying at once.</p>
                  </div>
                  <div className="confirm-actions">
                    <button type="button" className="btn" onClick={() => setConfirmRotate(false)}>
                      Keep the current secret
                    </button>
                    <button type="button" className="btn danger" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
                      {rotate.isPending ? "Rotating…" : "Rotate now"}
                    </button>
                  </div>
                </div>
              ) : (
                <div className="form-actions">
                  <button type="button" className="btn" onClick={() => setConfirmRotate(true)}>
                    Rotate signing secret
                  </button>
                </div>
              ))}
            {rotate.error && <Alert kind="error">{rotate.error.message}</Alert>}
          </Panel>

          <Panel title="Send a test event" testId="notification-test">
            <p className="muted">
              Sends a TEST event now to the saved settings{dirty ? " (save your changes first to test them)" : ""}, and shows what
              happened on each channel.
            </p>
            <div className="form-actions">
              <button type="button" className="btn" disabled={test.isPending} onClick={() => test.mutate()}>
                {test.isPending ? "Sending…" : "Send a test event"}
              </button>
            </div>
            {test.error && (
              <Alert kind={test.error instanceof ApiError && test.error.status === 409 ? "warning" : "error"} testId="test-error">
                {test.error.message}
              </Alert>
            )}
            {test.data && <TestResult result={test.data} />}
          </Panel>
        </>
      )}
    </>
  );
}

function ShownSecret({ secret, onDone }: { secret: string; onDone(): void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }

  return (
    <div data-testid="webhook-secret">
      <Alert kind="warning" title="Copy this secret now: it is shown only once.">
        Store it where your webhook receiver can read it. Plot Palette keeps it to sign deliveries but never shows it again.
      </Alert>
      <pre className="json" data-testid="webhook-secret-value">
        {secret}
      </pre>
      <div className="form-actions">
        <button type="button" className="btn" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" className="btn" onClick={onDone}>
          I have stored it
        </button>
        {copied === "yes" && <span className="muted small">Copied to the clipboard.</span>}
        {copied === "no" && <span className="muted small">The browser did not allow copying: select the text and copy it.</span>}
      </div>
      <h3>Verifying a delivery</h3>
      <p className="hint">
        Each delivery is a POST with a JSON body and the header <code>{SIGNATURE_HEADER}: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code>.
        Compute HMAC-SHA256 of <code>"&lt;t&gt;." + raw body</code> keyed with this secret, compare it to <code>v1</code> in
        constant time, and refuse timestamps more than five minutes old. <code>{EVENT_ID_HEADER}</code> is the same for every
        retry of one event: drop ids you have already processed.
      </p>
      <pre className="json">{`import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(
        expected.hexdigest(), fields["v1"]
    )`}</pre>
    </div>
  );
}

function TestResult({ result }: { result: NotificationTestResult }) {
  return (
    <dl className="kv-grid" data-testid="test-result">
      {result.webhook && (
        <>
          <dt className="kv-label">Webhook</dt>
          <dd className="kv-value" data-testid="test-result-webhook">
            {result.webhook.delivered
              ? `Delivered (HTTP ${result.webhook.status}) after ${plural(result.webhook.attempts, "attempt")}.`
              : `Not delivered after ${plural(result.webhook.attempts, "attempt")}: ${result.webhook.error ?? "unknown error"}.`}
          </dd>
        </>
      )}
      {result.email && (
        <>
          <dt className="kv-label">Email</dt>
          <dd className="kv-value" data-testid="test-result-email">
            {result.email.delivered ? "Sent." : `Not sent: ${result.email.error ?? "unknown error"}.`}
          </dd>
        </>
      )}
      {!result.webhook && !result.email && (
        <dd className="kv-value">No channel is set up: nothing was sent.</dd>
      )}
    </dl>
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
