// Test helpers: a fake Cognito service, a fetch that answers API routes, and the whole app
// rendered at a URL.
import { render } from "@testing-library/react";
import { vi } from "vitest";
import { App, createQueryClient } from "../App";
import type { AuthService, SignedInUser } from "../auth/cognito";
import type { AppConfig } from "../config";

export const API = "http://api.test/api";

export const testConfig: AppConfig = {
  apiEndpoint: API,
  userPoolId: "us-east-1_test",
  clientId: "client",
  cognitoEndpoint: "http://localhost/cognito",
  authFlow: "USER_PASSWORD_AUTH",
  region: "us-east-1",
};

export const alice: SignedInUser = { email: "alice@example.com", username: "alice@example.com" };

export function fakeAuth(user: SignedInUser | null = alice): AuthService & { signOut: ReturnType<typeof vi.fn> } {
  let current = user;
  return {
    signUp: vi.fn(async () => undefined),
    confirmSignUp: vi.fn(async () => undefined),
    resendCode: vi.fn(async () => undefined),
    signIn: vi.fn(async () => {
      current = alice;
      return { kind: "signedIn" as const, user: alice };
    }),
    submitTotp: vi.fn(async () => {
      current = alice;
      return alice;
    }),
    restore: vi.fn(async () => current),
    getAccessToken: vi.fn(async () => {
      if (!current) throw new Error("signed out");
      return "access-token";
    }),
    signOut: vi.fn(() => {
      current = null;
    }),
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Answer = unknown | Response | ((request: RecordedRequest) => unknown | Response);

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/**
 * A fetch answering "METHOD /path" routes of the API (path without the base; `:id` segments
 * match anything). Unknown routes are a 404 with a message. Every request is recorded.
 */
export function apiFetch(routes: Record<string, Answer>) {
  const requests: RecordedRequest[] = [];
  const compiled = Object.entries(routes).map(([key, answer]) => {
    const [method, pattern] = key.split(" ") as [string, string];
    const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const regex = new RegExp("^" + escaped.replace(/:[a-z_]+/gi, "[^/]+") + "$");
    return { method, regex, answer };
  });
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = (init?.method ?? "GET").toUpperCase();
    const path = url.href.startsWith(API) ? url.pathname.slice(new URL(API).pathname.length) : url.href;
    const request: RecordedRequest = {
      method,
      path,
      search: url.searchParams,
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : init?.body,
    };
    requests.push(request);
    const route = compiled.find((r) => r.method === method && r.regex.test(path));
    if (!route) return json({ message: `no route ${method} ${path}` }, 404);
    const answer = typeof route.answer === "function" ? (route.answer as (r: RecordedRequest) => unknown)(request) : route.answer;
    return answer instanceof Response ? answer : json(answer);
  });
  return { fetchMock, requests };
}

/** Renders the whole app at `path` with the global fetch answering `routes`. */
export function renderApp(path: string, routes: Record<string, Answer>, auth = fakeAuth(), config: AppConfig = testConfig) {
  const api = apiFetch(routes);
  vi.stubGlobal("fetch", api.fetchMock);
  window.history.pushState({}, "", path);
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ queries: { retry: false, staleTime: 0 } });
  const utils = render(<App config={config} auth={auth} queryClient={queryClient} />);
  return { ...utils, ...api, auth, queryClient };
}

export function job(overrides: Record<string, unknown> = {}) {
  return {
    job_id: "job-1",
    name: "Poetry Q&A",
    status: "RUNNING",
    created_at: "2026-01-02T10:00:00Z",
    record_count: 12,
    records_generated: 5,
    budget_usd: 1,
    cost_usd: 0.0021,
    ...overrides,
  };
}
