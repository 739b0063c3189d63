import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, newIdempotencyKey, seedContentType, SUBMIT_ATTEMPTS, UnauthorizedError } from "./client";

function client(fetchImpl: typeof fetch, getToken = vi.fn(async () => "tok-1"), sleep = vi.fn(async (_ms: number) => undefined)) {
  const onUnauthorized = vi.fn();
  const api = new ApiClient({ baseUrl: "https://api.example.com/prod/", getToken, onUnauthorized, fetchImpl, sleep });
  return { api, onUnauthorized, getToken, sleep };
}

/** A fetch answering each call with the next of `answers` (an Error is a network failure). */
function answers(...sequence: (Response | Error)[]) {
  return vi.fn(async () => {
    const next = sequence.shift();
    if (next === undefined) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  });
}

function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function sentKeys(fetchMock: ReturnType<typeof vi.fn>): (string | undefined)[] {
  return fetchMock.mock.calls.map((call) => ((call as unknown as [string, RequestInit])[1].headers as Record<string, string>)["Idempotency-Key"]);
}

const CREATED = { job: { job_id: "job-1" }, estimate: {} };
const REQUEST = { name: "n", records: 5, budget_usd: 1 };

function respond(body: unknown, status = 200, init: ResponseInit = {}) {
  return vi.fn(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, ...init }));
}

describe("ApiClient", () => {
  it("sends the access token as a bearer token to API_ENDPOINT + path", async () => {
    const fetchMock = respond({ jobs: [], next_cursor: null });
    const { api } = client(fetchMock);
    await api.listJobs("abc+/=", 10);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("https://api.example.com/prod/jobs?limit=10&cursor=abc%2B%2F%3D");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer tok-1");
    expect(init.method).toBe("GET");
  });

  it("sends JSON bodies with their content type", async () => {
    const fetchMock = respond({ template_id: "tpl-1", version: 1 }, 201);
    const { api } = client(fetchMock);
    await api.createTemplate({ name: "x", steps: [] });
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
    expect(JSON.parse(init.body as string)).toEqual({ document: { name: "x", steps: [] } });
  });

  it("turns a 4xx body's message into the error the user sees", async () => {
    const { api, onUnauthorized } = client(respond({ message: "records: Input should be greater than 0" }, 422));
    const error = await api.createJob({ name: "n", records: 0, budget_usd: 1 }, "key-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, message: "records: Input should be greater than 0" });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("falls back to the status when the body has no message", async () => {
    const { api } = client(respond("<html>Bad gateway</html>", 502, { statusText: "Bad Gateway" }));
    await expect(api.getJob("j")).rejects.toMatchObject({ status: 502, message: "Request failed (HTTP 502 Bad Gateway)" });
  });

  it("signs the user out on a 401", async () => {
    const { api, onUnauthorized } = client(respond({ message: "Unauthorized" }, 401));
    const error = await api.getDashboard("j").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as ApiError).status).toBe(401);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("signs the user out when no token can be had (the refresh token expired too)", async () => {
    const fetchMock = respond({});
    const { api, onUnauthorized } = client(fetchMock, vi.fn(async () => Promise.reject(new Error("refresh failed"))));
    await expect(api.listTemplates()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("reports an unreachable API without signing out", async () => {
    const { api, onUnauthorized } = client(vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.sampleDatasets()).rejects.toMatchObject({ status: 0, message: "Could not reach the API (Failed to fetch)" });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("escapes ids in paths and passes the version as a query", async () => {
    const fetchMock = respond({});
    const { api } = client(fetchMock);
    await api.getTemplate("a/b", 3);
    await api.cancelJob("j 1");
    expect(fetchMock.mock.calls.map((c) => (c as unknown as [string])[0])).toEqual([
      "https://api.example.com/prod/templates/a%2Fb?version=3",
      "https://api.example.com/prod/jobs/j%201",
    ]);
    expect((fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1].method).toBe("DELETE");
  });

  it("uploads seed files to the presigned URL with its headers and no bearer token", async () => {
    const fetchMock = respond("", 200);
    const { api } = client(fetchMock);
    const file = new Blob(["{}\n"]);
    await api.uploadSeedFile({ key: "seed-data/u/k/f.jsonl", upload_url: "https://s3.example.com/put?sig", headers: { "Content-Type": "application/x-ndjson" }, expires_in: 900 }, file);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("https://s3.example.com/put?sig");
    expect(init).toMatchObject({ method: "PUT", headers: { "Content-Type": "application/x-ndjson" }, body: file });
  });

  it("reports a refused upload", async () => {
    const { api } = client(respond("<Error/>", 403));
    await expect(
      api.uploadSeedFile({ key: "k", upload_url: "https://s3/x", headers: {}, expires_in: 1 }, new Blob(["x"])),
    ).rejects.toMatchObject({ status: 403, message: "The upload was refused (HTTP 403)" });
  });
});

describe("seedContentType", () => {
  it("maps file names to the types the API accepts", () => {
    expect(seedContentType("poems.json")).toBe("application/json");
    expect(seedContentType("POEMS.JSON")).toBe("application/json");
    expect(seedContentType("poems.jsonl")).toBe("application/x-ndjson");
    expect(seedContentType("poems.ndjson")).toBe("application/x-ndjson");
  });
});

describe("submissions", () => {
  it("send the submission's Idempotency-Key", async () => {
    const fetchMock = answers(jsonResponse(CREATED, 201));
    const { api } = client(fetchMock);
    await expect(api.createJob(REQUEST, "key-1")).resolves.toEqual(CREATED);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("https://api.example.com/prod/jobs");
    expect(init.method).toBe("POST");
    expect(sentKeys(fetchMock)).toEqual(["key-1"]);
  });

  it("ask again with the same key while the first try is in progress, waiting as long as Retry-After says", async () => {
    const inProgress = () => jsonResponse({ message: "a request with this Idempotency-Key is in progress" }, 409, { "Retry-After": "3" });
    const fetchMock = answers(inProgress(), inProgress(), jsonResponse(CREATED, 201));
    const { api, sleep } = client(fetchMock);
    await expect(api.createJob(REQUEST, "key-1")).resolves.toEqual(CREATED);
    expect(sentKeys(fetchMock)).toEqual(["key-1", "key-1", "key-1"]);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([3000, 3000]);
  });

  it("send the same key again after a lost answer or a server error", async () => {
    const fetchMock = answers(new TypeError("Failed to fetch"), jsonResponse({ message: "Internal Server Error" }, 500), jsonResponse(CREATED, 201));
    const { api } = client(fetchMock);
    await expect(api.submit("/batches", { name: "b" }, "key-2")).resolves.toEqual(CREATED);
    expect(sentKeys(fetchMock)).toEqual(["key-2", "key-2", "key-2"]);
  });

  it("are not sent again when refused, or for a conflict that is not in progress", async () => {
    for (const refusal of [
      jsonResponse({ message: "this Idempotency-Key was used for another request" }, 422),
      jsonResponse({ message: "conflict" }, 409),
      jsonResponse({ message: "budget_usd: too large" }, 400),
    ]) {
      const fetchMock = answers(refusal);
      const { api, sleep } = client(fetchMock);
      await expect(api.createJob(REQUEST, "key-1")).rejects.toBeInstanceOf(ApiError);
      expect(fetchMock).toHaveBeenCalledTimes(1);
      expect(sleep).not.toHaveBeenCalled();
    }
  });

  it("give up after a bounded number of tries with the last error", async () => {
    const fetchMock = vi.fn(async () => jsonResponse({ message: "Service Unavailable" }, 503));
    const { api } = client(fetchMock);
    await expect(api.createJob(REQUEST, "key-1")).rejects.toMatchObject({ status: 503 });
    expect(fetchMock).toHaveBeenCalledTimes(SUBMIT_ATTEMPTS);
  });

  it("are keyed by new, distinct keys the API accepts (1 to 255 printable ASCII characters)", () => {
    const keys = new Set(Array.from({ length: 20 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(20);
    for (const key of keys) expect(key).toMatch(/^[\x21-\x7e]{1,255}$/);
  });
});
