import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeAuth, job, json, renderApp, testConfig } from "../test/helpers";
import { nextPollDelay, parseSse, POLL_MAX_MS, POLL_MIN_MS } from "./progress";
import type { Dashboard } from "./types";

function page(status: string, done: number): Dashboard {
  return {
    job: job({ status, records_generated: done, record_count: 12 }) as Dashboard["job"],
    progress: { records_generated: done, record_count: 12, percent: (done / 12) * 100, records_per_second: 2, eta_seconds: 3 },
    cost: { bedrock_usd: 0.001, fargate_usd: 0, s3_usd: 0, total_usd: 0.001, budget_usd: 1, budget_used_percent: 0.1, estimated_usd: 0.002 },
    cost_history: [],
    interruptions: { relaunches: 0, last_interruption: null },
    sample_records: [],
    downloads: {},
    archive: { archived: false, storage_class: "STANDARD", note: "" },
  };
}

/** A text/event-stream response sending `chunks` one by one. */
function eventStream(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

const streaming = { ...testConfig, progressEvents: "sse" as const };

describe("server-sent events", () => {
  it("splits a stream into events, keeping an unfinished one for the next chunk", () => {
    const first = parseSse('retry: 3000\n\n: heartbeat\n\nevent: dashboard\ndata: {"a":1}\n\nevent: end\nda');
    expect(first.events).toEqual([{ event: "dashboard", data: '{"a":1}' }]);
    expect(first.rest).toBe("event: end\nda");
    const second = parseSse(first.rest + "ta: {}\r\n\r\n");
    expect(second.events).toEqual([{ event: "end", data: "{}" }]);
    expect(second.rest).toBe("");
    expect(parseSse("data: one\ndata: two\n\n").events).toEqual([{ event: "message", data: "one\ntwo" }]);
  });
});

describe("polling with backoff", () => {
  it("backs off while nothing changes, up to a cap, and starts again on a change", () => {
    const delays = [POLL_MIN_MS];
    for (let i = 0; i < 10; i += 1) delays.push(nextPollDelay(delays[delays.length - 1]!, false));
    expect(delays.slice(0, 4)).toEqual([2000, 3000, 4500, 6750]);
    expect(Math.max(...delays)).toBe(POLL_MAX_MS);
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1]!)).toBe(true);
    expect(nextPollDelay(POLL_MAX_MS, true)).toBe(POLL_MIN_MS);
  });
});

describe("live job page", () => {
  it("follows the job through its event stream to the end", async () => {
    const { requests } = renderApp(
      "/jobs/job-1",
      {
        "GET /dashboard/:id": page("RUNNING", 5),
        "GET /jobs/:id/events": () =>
          eventStream([
            "retry: 3000\n\n",
            `event: dashboard\ndata: ${JSON.stringify(page("RUNNING", 8))}\n\n`,
            `event: dashboard\ndata: ${JSON.stringify(page("COMPLETED", 12))}\n\nevent: end\ndata: {}\n\n`,
          ]),
      },
      fakeAuth(),
      streaming,
    );
    await waitFor(() => expect(screen.getByTestId("job-status")).toHaveTextContent(/^COMPLETED$/));
    expect(screen.getByTestId("job-progress")).toHaveTextContent(/^12 \/ 12$/);
    const stream = requests.find((r) => r.path === "/jobs/job-1/events");
    expect(stream?.headers.get("Authorization")).toBe("Bearer access-token");
    expect(stream?.headers.get("Accept")).toBe("text/event-stream");
  });

  it("polls instead when the API has no stream for it", async () => {
    renderApp(
      "/jobs/job-1",
      {
        "GET /dashboard/:id": page("RUNNING", 5),
        "GET /jobs/:id/events": () => json({ message: "Not Found" }, 404),
      },
      fakeAuth(),
      streaming,
    );
    await waitFor(() => expect(screen.getByTestId("progress-mode")).toHaveTextContent("refreshing automatically"));
    expect(screen.getByTestId("job-progress")).toHaveTextContent(/^5 \/ 12$/);
  });

  it("polls where the API cannot stream (no progress events in the configuration)", async () => {
    const { requests } = renderApp("/jobs/job-1", { "GET /dashboard/:id": page("RUNNING", 5) });
    expect(await screen.findByTestId("progress-mode")).toHaveTextContent("refreshing automatically");
    expect(requests.some((r) => r.path.endsWith("/events"))).toBe(false);
  });
});

describe("records so far", () => {
  it("prepares a partial download of a running job and links it once ready", async () => {
    const user = userEvent.setup();
    let asked = false;
    const { requests } = renderApp("/jobs/job-1", {
      "GET /dashboard/:id": page("RUNNING", 5),
      "POST /jobs/:id/snapshot": () => {
        asked = true;
        return json({ status: "PREPARING", requested_at: "2026-01-02T10:00:00Z", created_at: null, records: null, bytes: null, url: null }, 202);
      },
      "GET /jobs/:id/snapshot": () =>
        asked
          ? { status: "READY", requested_at: "2026-01-02T10:00:00Z", created_at: "2026-01-02T10:00:01Z", records: 5, bytes: 2048, url: "https://s3.example.com/j/snapshot?sig=1" }
          : { status: "NONE", requested_at: null, created_at: null, records: null, bytes: null, url: null },
    });
    await user.click(await screen.findByTestId("partial-download-prepare"));
    const link = await screen.findByTestId("partial-download-link");
    expect(link).toHaveAttribute("href", "https://s3.example.com/j/snapshot?sig=1");
    expect(link).toHaveTextContent("Download 5 records");
    expect(requests.filter((r) => r.method === "POST" && r.path === "/jobs/job-1/snapshot")).toHaveLength(1);
  });

  it("shows the API's refusal", async () => {
    const user = userEvent.setup();
    renderApp("/jobs/job-1", {
      "GET /dashboard/:id": page("RUNNING", 5),
      "GET /jobs/:id/snapshot": { status: "NONE", requested_at: null, created_at: null, records: null, bytes: null, url: null },
      "POST /jobs/:id/snapshot": () => json({ message: "job job-1 is still queued: it has made no records yet" }, 409),
    });
    await user.click(await screen.findByTestId("partial-download-prepare"));
    expect(await screen.findByText("job job-1 is still queued: it has made no records yet")).toBeInTheDocument();
  });
});
