import { describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "./config";

const ORIGIN = "http://127.0.0.1:8765";

const local = {
  API_ENDPOINT: "http://127.0.0.1:8765/api",
  COGNITO_USER_POOL_ID: "us-east-1_abc",
  COGNITO_CLIENT_ID: "client123",
  COGNITO_ENDPOINT: "http://127.0.0.1:8765/cognito",
  COGNITO_AUTH_FLOW: "USER_PASSWORD_AUTH",
  AWS_REGION: "us-east-1",
  LOCAL_MAILBOX: "/local/mailbox/",
};

describe("parseConfig", () => {
  it("reads the local cloud's config.json", () => {
    expect(parseConfig(local, ORIGIN)).toEqual({
      apiEndpoint: "http://127.0.0.1:8765/api",
      userPoolId: "us-east-1_abc",
      clientId: "client123",
      cognitoEndpoint: "http://127.0.0.1:8765/cognito",
      authFlow: "USER_PASSWORD_AUTH",
      region: "us-east-1",
      localMailbox: "http://127.0.0.1:8765/local/mailbox/",
    });
  });

  it("leaves the Cognito endpoint and auth flow unset on AWS (the library's region endpoint and SRP)", () => {
    const config = parseConfig(
      { API_ENDPOINT: "https://abc.execute-api.eu-west-1.amazonaws.com/", COGNITO_USER_POOL_ID: "eu-west-1_x", COGNITO_CLIENT_ID: "c" },
      "https://dashboard.example.com",
    );
    expect(config.apiEndpoint).toBe("https://abc.execute-api.eu-west-1.amazonaws.com");
    expect(config.cognitoEndpoint).toBeUndefined();
    expect(config.authFlow).toBeUndefined();
    expect(config.localMailbox).toBeUndefined();
  });

  it("resolves relative URLs against the page (vite dev rewrites them so)", () => {
    const config = parseConfig({ ...local, API_ENDPOINT: "/api", COGNITO_ENDPOINT: "/cognito" }, "http://localhost:5173");
    expect(config.apiEndpoint).toBe("http://localhost:5173/api");
    expect(config.cognitoEndpoint).toBe("http://localhost:5173/cognito");
  });

  it("names every missing required key", () => {
    expect(() => parseConfig({ API_ENDPOINT: "x", COGNITO_CLIENT_ID: " " }, ORIGIN)).toThrow(
      new ConfigError("config.json is missing COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID"),
    );
  });

  it("refuses what is not an object", () => {
    expect(() => parseConfig([local], ORIGIN)).toThrow(ConfigError);
    expect(() => parseConfig(null, ORIGIN)).toThrow(ConfigError);
  });
});

describe("loadConfig", () => {
  it("fetches /config.json from the page's origin, uncached", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(local)));
    const config = await loadConfig(fetchMock, ORIGIN);
    expect(fetchMock).toHaveBeenCalledWith(`${ORIGIN}/config.json`, { cache: "no-store" });
    expect(config.clientId).toBe("client123");
  });

  it("reports an HTTP error", async () => {
    const fetchMock = vi.fn(async () => new Response("nope", { status: 404 }));
    await expect(loadConfig(fetchMock, ORIGIN)).rejects.toThrow("could not load /config.json (HTTP 404)");
  });

  it("reports a body that is not JSON", async () => {
    const fetchMock = vi.fn(async () => new Response("<html>"));
    await expect(loadConfig(fetchMock, ORIGIN)).rejects.toThrow("config.json is not valid JSON");
  });

  it("reports an unreachable server", async () => {
    const fetchMock = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(loadConfig(fetchMock, ORIGIN)).rejects.toThrow(/could not load \/config.json: TypeError: Failed to fetch/);
  });
});
