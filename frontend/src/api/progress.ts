// Live job progress without hammering the API: server-sent events where the API offers them
// (the local server says so in /config.json), polling with backoff where it does not (API
// Gateway cannot hold a response open). Plus the partial download of a running job.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useApi, useAuth } from "../auth/AuthContext";
import { ApiError, type ApiClient } from "./client";
import { FINAL_REFRESH_MS, queryKeys } from "./hooks";
import { isFinal, type Dashboard } from "./types";

export const POLL_MIN_MS = 2000;
export const POLL_MAX_MS = 30000;
const POLL_FACTOR = 1.5;
/** Reconnect attempts after a broken stream before the page falls back to polling. */
const STREAM_RETRIES = 3;

/** The next poll delay: back off while nothing changes, start again quickly on a change. */
export function nextPollDelay(previous: number, changed: boolean): number {
  if (changed) return POLL_MIN_MS;
  return Math.min(POLL_MAX_MS, Math.round(previous * POLL_FACTOR));
}

export interface SseEvent {
  event: string;
  data: string;
}

/** The complete events in `buffer` (text/event-stream) and the incomplete rest to keep. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

/**
 * Reads the job's event stream, handing each dashboard to `onDashboard`, until the server says
 * the job ended ("end") or closes the stream ("closed", e.g. its lifetime passed).
 */
export async function followProgress(
  api: ApiClient,
  jobId: string,
  onDashboard: (dashboard: Dashboard) => void,
  signal: AbortSignal,
): Promise<"end" | "closed"> {
  const response = await api.openStream(`/jobs/${encodeURIComponent(jobId)}/events`, signal);
  if (!response.body) throw new ApiError(0, "The progress stream has no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "closed";
      const parsed = parseSse(buffer + decoder.decode(value, { stream: true }));
      buffer = parsed.rest;
      for (const item of parsed.events) {
        if (item.event === "dashboard") onDashboard(JSON.parse(item.data) as Dashboard);
        else if (item.event === "end") return "end";
        else if (item.event === "error") {
          const body = JSON.parse(item.data) as { message?: string };
          throw new ApiError(0, body.message ?? "The progress stream failed");
        }
      }
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}

export type ProgressMode = "stream" | "polling";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The job's dashboard, kept current: streamed when the API can stream (falling back to polling
 * if the stream keeps failing), otherwise polled every 2 s while it changes and less and less
 * often (up to 30 s) while it does not. A final job is refreshed only to renew its links.
 */
export function useLiveDashboard(jobId: string) {
  const api = useApi();
  const { config } = useAuth();
  const client = useQueryClient();
  const [mode, setMode] = useState<ProgressMode>(config.progressEvents === "sse" ? "stream" : "polling");
  const backoff = useRef({ delay: POLL_MIN_MS, seen: "", updatedAt: -1 });

  const query = useQuery({
    queryKey: queryKeys.dashboard(jobId),
    queryFn: () => api.getDashboard(jobId),
    refetchInterval: (q) => {
      const data = q.state.data;
      if (q.state.error) return false;
      if (data && isFinal(data.job.status)) return FINAL_REFRESH_MS;
      if (mode === "stream") return false;
      const state = backoff.current;
      if (data && q.state.dataUpdatedAt !== state.updatedAt) {
        // one step per answer, however often this callback is asked
        const seen = JSON.stringify(data.job);
        state.delay = state.updatedAt === -1 ? POLL_MIN_MS : nextPollDelay(state.delay, seen !== state.seen);
        state.seen = seen;
        state.updatedAt = q.state.dataUpdatedAt;
      }
      return state.delay;
    },
  });

  const status = query.data?.job.status;
  const finished = status !== undefined && isFinal(status);
  const loaded = query.data !== undefined;
  useEffect(() => {
    // after the first answer, so a slower first fetch cannot overwrite newer streamed pages
    if (mode !== "stream" || finished || !loaded) return;
    const controller = new AbortController();
    const key = queryKeys.dashboard(jobId);
    void (async () => {
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          const how = await followProgress(api, jobId, (d) => client.setQueryData(key, d), controller.signal);
          if (how === "end") return;
          failures = 0; // the server closed a long stream: reconnect at once
        } catch (error) {
          if (controller.signal.aborted) return;
          failures += 1;
          const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
          if (refused || failures > STREAM_RETRIES) {
            // no stream here (or not for this job): polling reports whatever the API says
            setMode("polling");
            void client.invalidateQueries({ queryKey: key });
            return;
          }
          await sleep(1000 * failures, controller.signal);
        }
      }
    })();
    return () => controller.abort();
  }, [api, client, jobId, mode, finished, loaded]);

  return { ...query, mode };
}

export interface Snapshot {
  status: "NONE" | "PREPARING" | "READY";
  requested_at: string | null;
  created_at: string | null;
  records: number | null;
  bytes: number | null;
  url: string | null;
}

const snapshotKey = (jobId: string) => ["snapshot", jobId] as const;

/** The partial download of a job: ask for it, then follow it until its link is ready. */
export function useSnapshot(jobId: string) {
  const api = useApi();
  const client = useQueryClient();
  const path = `/jobs/${encodeURIComponent(jobId)}/snapshot`;
  const snapshot = useQuery({
    queryKey: snapshotKey(jobId),
    queryFn: () => api.request<Snapshot>("GET", path),
    refetchInterval: (q) => (q.state.data?.status === "PREPARING" ? 1000 : false),
  });
  const prepare = useMutation({
    mutationFn: () => api.request<Snapshot>("POST", path),
    onSuccess: (answer) => client.setQueryData(snapshotKey(jobId), answer),
  });
  return { snapshot, prepare };
}
