// Runtime settings: the page reads /config.json (same origin) before anything else, so one
// build serves every deployment (ADR-008: API_ENDPOINT, COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID).

export interface AppConfig {
  /** Base URL of the HTTP API, without a trailing slash (e.g. https://x.execute-api…/ or /api). */
  apiEndpoint: string;
  userPoolId: string;
  clientId: string;
  /** A Cognito endpoint other than the region's (locally, the same-origin proxy). */
  cognitoEndpoint?: string;
  /** USER_PASSWORD_AUTH locally; absent on AWS, where the Cognito library's default (SRP) applies. */
  authFlow?: string;
  region?: string;
  /** Where the local user pool "emails" verification codes (local cloud only). */
  localMailbox?: string;
  /**
   * "sse" when the API streams job progress at /jobs/{id}/events (the local server does; API
   * Gateway cannot hold a response open, so on AWS the job page polls with backoff instead).
   */
  progressEvents?: "sse";
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const REQUIRED = ["API_ENDPOINT", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"] as const;

/** An absolute URL for `value`, resolved against the page's origin when relative. */
function absolute(value: string, origin: string): string {
  return new URL(value, origin).toString().replace(/\/+$/, "");
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** Checks the raw /config.json document and turns it into an AppConfig. */
export function parseConfig(raw: unknown, origin: string): AppConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("config.json must be a JSON object");
  }
  const doc = raw as Record<string, unknown>;
  const missing = REQUIRED.filter((key) => optionalString(doc, key) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`config.json is missing ${missing.join(", ")}`);
  }
  const cognitoEndpoint = optionalString(doc, "COGNITO_ENDPOINT");
  const localMailbox = optionalString(doc, "LOCAL_MAILBOX");
  return {
    apiEndpoint: absolute(optionalString(doc, "API_ENDPOINT")!, origin),
    userPoolId: optionalString(doc, "COGNITO_USER_POOL_ID")!,
    clientId: optionalString(doc, "COGNITO_CLIENT_ID")!,
    cognitoEndpoint: cognitoEndpoint ? absolute(cognitoEndpoint, origin) : undefined,
    authFlow: optionalString(doc, "COGNITO_AUTH_FLOW"),
    region: optionalString(doc, "AWS_REGION"),
    localMailbox: localMailbox ? absolute(localMailbox, origin) + "/" : undefined,
    progressEvents: optionalString(doc, "PROGRESS_EVENTS") === "sse" ? "sse" : undefined,
  };
}

/** Fetches and checks /config.json; any problem is a ConfigError with a readable message. */
export async function loadConfig(
  fetchImpl: typeof fetch = fetch,
  origin: string = window.location.origin,
): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetchImpl(`${origin}/config.json`, { cache: "no-store" });
  } catch (error) {
    throw new ConfigError(`could not load /config.json: ${String(error)}`);
  }
  if (!response.ok) {
    throw new ConfigError(`could not load /config.json (HTTP ${response.status})`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON");
  }
  return parseConfig(raw, origin);
}
