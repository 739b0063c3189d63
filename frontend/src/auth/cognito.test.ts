// The Cognito wrapper against a fake user pool endpoint (Cognito's JSON protocol over fetch).
import { describe, expect, it, vi } from "vitest";
import type { AppConfig } from "../config";
import { createCognitoAuth } from "./cognito";

const config: AppConfig = {
  apiEndpoint: "http://127.0.0.1:8765/api",
  userPoolId: "us-east-1_pool",
  clientId: "client-1",
  cognitoEndpoint: "http://127.0.0.1:8765/cognito",
  authFlow: "USER_PASSWORD_AUTH",
};

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function jwt(claims: Record<string, unknown>, lifetime = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: "RS256" })}.${b64url({ iat: now, exp: now + lifetime, ...claims })}.sig`;
}

function tokens(tag: string, lifetime = 3600) {
  return {
    AuthenticationResult: {
      AccessToken: jwt({ token_use: "access", username: "alice@example.com", tag }, lifetime),
      IdToken: jwt({ token_use: "id", email: "alice@example.com", "cognito:username": "alice@example.com" }, lifetime),
      RefreshToken: "refresh-token",
      ExpiresIn: lifetime,
      TokenType: "Bearer",
    },
  };
}

interface Call {
  url: string;
  target: string;
  body: Record<string, unknown>;
}

function fakePool(answer: (target: string, body: Record<string, unknown>) => unknown) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const headers = init?.headers as Record<string, string>;
    const target = headers["X-Amz-Target"]!.split(".").pop()!;
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    calls.push({ url: String(url), target, body });
    const result = answer(target, body);
    const status = result && typeof result === "object" && "__type" in result ? 400 : 200;
    return new Response(JSON.stringify(result ?? {}), { status });
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

function payload(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
}

describe("createCognitoAuth", () => {
  it("signs up and confirms through the configured endpoint", async () => {
    const calls = fakePool(() => ({}));
    const auth = createCognitoAuth(config);
    await auth.signUp("alice@example.com", "Correct-Horse-9!");
    await auth.confirmSignUp("alice@example.com", "123456");
    expect(calls.map((c) => [c.url, c.target])).toEqual([
      ["http://127.0.0.1:8765/cognito", "SignUp"],
      ["http://127.0.0.1:8765/cognito", "ConfirmSignUp"],
    ]);
    expect(calls[0]!.body).toMatchObject({
      ClientId: "client-1",
      Username: "alice@example.com",
      Password: "Correct-Horse-9!",
      UserAttributes: [{ Name: "email", Value: "alice@example.com" }],
    });
    expect(calls[1]!.body).toMatchObject({ Username: "alice@example.com", ConfirmationCode: "123456" });
  });

  it("signs in with the configured flow and hands out the access token", async () => {
    const calls = fakePool(() => tokens("first"));
    const auth = createCognitoAuth(config);
    const outcome = await auth.signIn("alice@example.com", "Correct-Horse-9!");
    expect(outcome).toEqual({ kind: "signedIn", user: { email: "alice@example.com", username: "alice@example.com" } });
    expect(calls[0]).toMatchObject({
      target: "InitiateAuth",
      body: { AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "alice@example.com", PASSWORD: "Correct-Horse-9!" } },
    });
    expect(payload(await auth.getAccessToken()).tag).toBe("first");
    // A new page load finds the session in storage.
    expect(await createCognitoAuth(config).restore()).toEqual({ email: "alice@example.com", username: "alice@example.com" });
  });

  it("answers the SOFTWARE_TOKEN_MFA challenge with the user's code", async () => {
    const calls = fakePool((target) =>
      target === "InitiateAuth"
        ? { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "challenge-session", ChallengeParameters: {} }
        : tokens("mfa"),
    );
    const auth = createCognitoAuth(config);
    expect(await auth.signIn("alice@example.com", "Correct-Horse-9!")).toEqual({ kind: "totp" });
    expect(await auth.submitTotp("654321")).toMatchObject({ email: "alice@example.com" });
    expect(calls[1]).toMatchObject({
      target: "RespondToAuthChallenge",
      body: { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "challenge-session", ChallengeResponses: { SOFTWARE_TOKEN_MFA_CODE: "654321" } },
    });
  });

  it("reports an unverified account instead of failing", async () => {
    fakePool(() => ({ __type: "UserNotConfirmedException", message: "User is not confirmed." }));
    expect(await createCognitoAuth(config).signIn("alice@example.com", "x")).toEqual({ kind: "unconfirmed" });
  });

  it("refreshes an expired session with the refresh token", async () => {
    let round = 0;
    const calls = fakePool(() => (round++ === 0 ? tokens("expired", -60) : tokens("fresh")));
    const auth = createCognitoAuth(config);
    await auth.signIn("alice@example.com", "Correct-Horse-9!");
    expect(payload(await auth.getAccessToken()).tag).toBe("fresh");
    expect(calls[1]).toMatchObject({ target: "InitiateAuth", body: { AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "refresh-token" } } });
  });

  it("has no token once signed out", async () => {
    fakePool(() => tokens("t"));
    const auth = createCognitoAuth(config);
    await auth.signIn("alice@example.com", "Correct-Horse-9!");
    auth.signOut();
    await expect(auth.getAccessToken()).rejects.toThrow();
    expect(await auth.restore()).toBeNull();
  });

  it("uses the library's defaults (region endpoint, SRP) when the config names none", async () => {
    const calls = fakePool(() => ({ ChallengeName: "PASSWORD_VERIFIER", ChallengeParameters: {} }));
    const auth = createCognitoAuth({ ...config, cognitoEndpoint: undefined, authFlow: undefined });
    void auth.signIn("alice@example.com", "Correct-Horse-9!").catch(() => undefined);
    await vi.waitFor(() => expect(calls.length).toBeGreaterThan(0));
    expect(calls[0]!.url).toBe("https://cognito-idp.us-east-1.amazonaws.com/");
    expect(calls[0]!.body).toMatchObject({ AuthFlow: "USER_SRP_AUTH" });
  });
});
