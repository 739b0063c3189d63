// The HTTP API client: bearer token on every call, `{"message": …}` bodies turned into ApiError,
// and a 401 (or a session that cannot be refreshed) reported once to whoever signs the user out.
// Submissions (POST /jobs, POST /batches) carry the form submission's Idempotency-Key and are
// sent again with it when the answer is lost or the first try is still running: one job, ever.
import type {
  Allowance,
  CreateJobRequest,
  CreateJobResponse,
  Estimate,
  Dashboard,
  Job,
  JobPage,
  SampleDataset,
  SeedUpload,
  SeedUploadRequest,
  SeedValidation,
  SeedValidationRequest,
  Template,
  TemplateDocumentBody,
  TemplateSummary,
  TemplateVersions,
} from "./types";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Tries of one submission, and the first wait between them (doubling, at most 8 s). */
export const SUBMIT_ATTEMPTS = 6;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 8000;

export class ApiError extends Error {
  readonly status: number;
  /** Seconds the server's Retry-After asked for (a 409 "in progress" sends one). */
  readonly retryAfter: number | null;

  constructor(status: number, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * Whether sending the same submission again, with the same key, may succeed: no answer came, the
 * server failed or throttled, or the first try is still in progress (a 409 with Retry-After).
 */
export function retryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 409) return error.retryAfter !== null;
  return error.status === 0 || error.status === 429 || error.status >= 500;
}

/** A new Idempotency-Key (a UUID; random hex where randomUUID is missing). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get("Retry-After");
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** The session is gone (401, or no token could be had): the user must sign in again. */
export class UnauthorizedError extends ApiError {
  constructor(message = "Your session has expired. Sign in again to continue.") {
    super(401, message);
    this.name = "UnauthorizedError";
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  /** A valid access token (refreshed when needed); rejects when there is no session. */
  getToken: () => Promise<string>;
  /** Called when the API says 401 or no token can be had. */
  onUnauthorized: () => void;
  fetchImpl?: typeof fetch;
  /** How a submission waits before trying again (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
}

/** The `message` of an error body, or a fallback naming the status. */
export async function errorMessage(response: Response): Promise<string> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // fall through to the status line
  }
  if (text) {
    try {
      const body: unknown = JSON.parse(text);
      if (body && typeof body === "object" && "message" in body) {
        const message = (body as { message: unknown }).message;
        if (typeof message === "string" && message) return message;
      }
    } catch {
      // not JSON
    }
  }
  return `Request failed (HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""})`;
}

/** `?key=value&…` of the params that have a value ("" when none has). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function unreachable(error: unknown): ApiError {
  return new ApiError(0, `Could not reach the API (${error instanceof Error ? error.message : String(error)})`);
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly getToken: () => Promise<string>;
  private readonly onUnauthorized: () => void;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.getToken = options.getToken;
    this.onUnauthorized = options.onUnauthorized;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The session's bearer token; without one the session is over. */
  private async token(): Promise<string> {
    try {
      return await this.getToken();
    } catch {
      this.onUnauthorized();
      throw new UnauthorizedError();
    }
  }

  /** A 401 ends the session; any other failure is the API's error, in its words. */
  private async ensureOk(response: Response): Promise<void> {
    if (response.status === 401) {
      this.onUnauthorized();
      throw new UnauthorizedError();
    }
    if (!response.ok) {
      throw new ApiError(response.status, await errorMessage(response), retryAfterSeconds(response));
    }
  }

  async request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const token = await this.token();
    const headers: Record<string, string> = { ...extraHeaders, Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw unreachable(error);
    }
    await this.ensureOk(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /**
   * POST a submission under its Idempotency-Key (one per form submission: see `useSubmissionKey`),
   * sent again with the same key while `retryable` says it may succeed. The server creates once
   * and answers every try with the first response.
   */
  async submit<T>(path: string, body: unknown, idempotencyKey: string): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.request<T>("POST", path, body, { [IDEMPOTENCY_HEADER]: idempotencyKey });
      } catch (error) {
        if (attempt >= SUBMIT_ATTEMPTS || !retryable(error)) throw error;
        const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
        await this.sleep(Math.max(backoff, ((error as ApiError).retryAfter ?? 0) * 1000));
      }
    }
  }

  /**
   * An authenticated GET whose body the caller reads as it arrives (server-sent events).
   * Errors before the stream starts are the API's ordinary JSON errors.
   */
  async openStream(path: string, signal: AbortSignal): Promise<Response> {
    const token = await this.token();
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw unreachable(error);
    }
    await this.ensureOk(response);
    return response;
  }

  listJobs(cursor?: string | null, limit = 25): Promise<JobPage> {
    return this.request("GET", `/jobs${query({ limit, cursor })}`);
  }

  getJob(jobId: string): Promise<Job> {
    return this.request("GET", `/jobs/${encodeURIComponent(jobId)}`);
  }

  cancelJob(jobId: string): Promise<Job> {
    return this.request("DELETE", `/jobs/${encodeURIComponent(jobId)}`);
  }

  /** Queue a job once: the same key again (a retry of this submission) answers the same job. */
  createJob(body: CreateJobRequest, idempotencyKey: string): Promise<CreateJobResponse> {
    return this.submit("/jobs", body, idempotencyKey);
  }

  /** The cost estimate of a job, with every check a submission makes; queues nothing. */
  estimateJob(body: CreateJobRequest): Promise<Estimate> {
    return this.request("POST", "/jobs/estimate", body);
  }

  getDashboard(jobId: string): Promise<Dashboard> {
    return this.request("GET", `/dashboard/${encodeURIComponent(jobId)}`);
  }

  listTemplates(): Promise<{ templates: TemplateSummary[] }> {
    return this.request("GET", "/templates");
  }

  getTemplate(templateId: string, version?: number | null): Promise<Template> {
    return this.request("GET", `/templates/${encodeURIComponent(templateId)}${query({ version })}`);
  }

  listVersions(templateId: string): Promise<TemplateVersions> {
    return this.request("GET", `/templates/${encodeURIComponent(templateId)}/versions`);
  }

  createTemplate(document: TemplateDocumentBody): Promise<Template> {
    return this.request("POST", "/templates", { document });
  }

  saveTemplateVersion(templateId: string, document: TemplateDocumentBody): Promise<Template> {
    return this.request("PUT", `/templates/${encodeURIComponent(templateId)}`, { document });
  }

  quotas(): Promise<Allowance> {
    return this.request("GET", "/quotas");
  }

  sampleDatasets(): Promise<{ datasets: SampleDataset[] }> {
    return this.request("GET", "/sample-datasets");
  }

  createSeedUpload(body: SeedUploadRequest): Promise<SeedUpload> {
    return this.request("POST", "/seed-data", body);
  }

  validateSeed(body: SeedValidationRequest): Promise<SeedValidation> {
    return this.request("POST", "/seed-data/validate", body);
  }

  /** PUTs the file to the presigned URL (S3, not the API: no bearer token). */
  async uploadSeedFile(upload: SeedUpload, file: Blob): Promise<void> {
    let response: Response;
    try {
      response = await this.fetchImpl(upload.upload_url, { method: "PUT", headers: upload.headers, body: file });
    } catch (error) {
      throw new ApiError(0, `The upload failed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!response.ok) {
      throw new ApiError(response.status, `The upload was refused (HTTP ${response.status})`);
    }
  }
}

/** The content type the API accepts for a seed file, from its name. */
export function seedContentType(filename: string): string {
  return filename.toLowerCase().endsWith(".json") ? "application/json" : "application/x-ndjson";
}
