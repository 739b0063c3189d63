import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderApp, type RecordedRequest } from "../test/helpers";

const SAVED = {
  email: false,
  webhook_url: "https://hooks.example.com/old",
  events: ["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"],
  has_webhook_secret: true,
  updated_at: "2026-11-30T10:00:00Z",
};
const REFUSAL =
  "webhook_url: the webhook host 127.0.0.1 resolves to 127.0.0.1, which is a loopback address; webhooks go to public addresses only";

function routes(overrides: Record<string, unknown> = {}) {
  return {
    "GET /settings/notifications": SAVED,
    "PUT /settings/notifications": (request: RecordedRequest) => ({
      ...(request.body as object),
      has_webhook_secret: true,
      updated_at: "2026-12-01T08:00:00Z",
    }),
    ...overrides,
  };
}

describe("notification settings", () => {
  it("is in the navigation and shows the saved settings", async () => {
    renderApp("/settings/notifications", routes());
    expect(await screen.findByLabelText(/Webhook URL/)).toHaveValue("https://hooks.example.com/old");
    expect(screen.getByRole("link", { name: "Notifications" })).toHaveAttribute("href", "/settings/notifications");
    expect(screen.getByRole("checkbox", { name: /Email me at alice@example.com/ })).not.toBeChecked();
    for (const name of ["Completed", "Failed", "Budget exceeded", "Cancelled"]) {
      expect(screen.getByRole("checkbox", { name })).toBeChecked();
    }
    expect(screen.getByTestId("secret-state")).toHaveTextContent("shown once");
  });

  it("sends the chosen channels and events in the API's order", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/settings/notifications", routes());
    const url = await screen.findByLabelText(/Webhook URL/);
    await user.click(screen.getByRole("checkbox", { name: /Email me/ }));
    await user.clear(url);
    await user.click(screen.getByRole("checkbox", { name: "Failed" }));
    await user.click(screen.getByRole("checkbox", { name: "Completed" }));
    await user.click(screen.getByRole("checkbox", { name: "Cancelled" }));
    await user.click(screen.getByRole("checkbox", { name: "Completed" }));
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("notifications-saved")).toHaveTextContent("Saved.");
    const put = requests.find((r) => r.method === "PUT");
    expect(put?.body).toEqual({ email: true, webhook_url: null, events: ["COMPLETED", "BUDGET_EXCEEDED"] });
  });

  it("shows the server's refusal of a webhook URL beside the field and keeps what the user typed", async () => {
    const user = userEvent.setup();
    renderApp("/settings/notifications", routes({ "PUT /settings/notifications": json({ message: REFUSAL }, 400) }));
    const url = await screen.findByLabelText(/Webhook URL/);
    await user.clear(url);
    await user.type(url, "https://127.0.0.1/hook");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const error = await screen.findByText(/resolves to 127.0.0.1, which is a loopback address/);
    expect(error).toHaveAttribute("id", "webhook-url-error");
    expect(error.textContent?.startsWith("webhook_url:")).toBe(false);
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveValue("https://127.0.0.1/hook");
    expect(screen.queryByTestId("notifications-saved")).not.toBeInTheDocument();
  });

  it("shows a refusal that is not about the webhook above the save button", async () => {
    const user = userEvent.setup();
    renderApp("/settings/notifications", routes({ "PUT /settings/notifications": json({ message: "the table is busy" }, 429) }));
    await user.click(await screen.findByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not saved");
    expect(screen.getByRole("alert")).toHaveTextContent("the table is busy");
  });

  it("shows a new secret once, with how to verify the signature", async () => {
    const user = userEvent.setup();
    renderApp(
      "/settings/notifications",
      routes({
        "GET /settings/notifications": { ...SAVED, webhook_url: null, has_webhook_secret: false, updated_at: null },
        "PUT /settings/notifications": { ...SAVED, webhook_secret: "whsec_first" },
      }),
    );
    expect(await screen.findByTestId("secret-state")).toHaveTextContent("created the first time you save");
    await user.type(screen.getByLabelText(/Webhook URL/), "https://hooks.example.com/old");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const shown = await screen.findByTestId("webhook-secret");
    expect(within(shown).getByTestId("webhook-secret-value")).toHaveTextContent("whsec_first");
    expect(shown).toHaveTextContent("shown only once");
    expect(shown).toHaveTextContent("X-Plot-Palette-Signature: t=<unix seconds>,v1=<hex>");
    expect(shown).toHaveTextContent("HMAC-SHA256");
    await user.click(within(shown).getByRole("button", { name: "I have stored it" }));
    expect(screen.queryByText("whsec_first")).not.toBeInTheDocument();
  });

  it("rotates the secret after a confirmation and shows the new one", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp(
      "/settings/notifications",
      routes({ "POST /settings/notifications/rotate-secret": { ...SAVED, webhook_secret: "whsec_rotated" } }),
    );
    await user.click(await screen.findByRole("button", { name: "Rotate signing secret" }));
    expect(requests.some((r) => r.path.endsWith("/rotate-secret"))).toBe(false);
    await user.click(screen.getByRole("button", { name: "Rotate now" }));
    expect(await screen.findByTestId("webhook-secret-value")).toHaveTextContent("whsec_rotated");
    expect(requests.filter((r) => r.method === "POST" && r.path === "/settings/notifications/rotate-secret")).toHaveLength(1);
  });

  it("sends a test event and shows each channel's result", async () => {
    const user = userEvent.setup();
    renderApp(
      "/settings/notifications",
      routes({
        "POST /settings/notifications/test": {
          webhook: { delivered: false, status: 503, attempts: 4, error: "the receiver answered 503" },
          email: { delivered: true, error: null },
        },
      }),
    );
    await user.click(await screen.findByRole("button", { name: "Send a test event" }));
    expect(await screen.findByTestId("test-result-webhook")).toHaveTextContent(
      "Not delivered after 4 attempts: the receiver answered 503.",
    );
    expect(screen.getByTestId("test-result-email")).toHaveTextContent("Sent.");
  });

  it("says so when there is nothing to send a test to", async () => {
    const user = userEvent.setup();
    renderApp(
      "/settings/notifications",
      routes({
        "POST /settings/notifications/test": json({ message: "nothing to send to: turn on email or save a webhook URL first" }, 409),
      }),
    );
    await user.click(await screen.findByRole("button", { name: "Send a test event" }));
    await waitFor(() => expect(screen.getByTestId("test-error")).toHaveTextContent("nothing to send to"));
  });
});
