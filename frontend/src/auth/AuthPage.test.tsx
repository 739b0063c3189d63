import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { alice, fakeAuth, json, renderApp } from "../test/helpers";
import { passwordProblems } from "./AuthPage";
import { authErrorMessage } from "./cognito";

const PASSWORD = "Correct-Horse-9!";

describe("sign up, verify, sign in", () => {
  it("walks a new user from sign-up to the signed-in shell", async () => {
    const user = userEvent.setup();
    const auth = fakeAuth(null);
    renderApp("/", { "GET /jobs": { jobs: [], next_cursor: null } }, auth);

    await user.click(await screen.findByRole("link", { name: "Create an account" }));
    await user.type(screen.getByLabelText("Email"), alice.email);
    await user.type(screen.getByLabelText("Password"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(auth.signUp).toHaveBeenCalledWith(alice.email, PASSWORD);

    await user.type(await screen.findByLabelText("Verification code"), "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(auth.confirmSignUp).toHaveBeenCalledWith(alice.email, "123456");

    expect(await screen.findByText("Your account is verified. Sign in to continue.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue(alice.email);
    await user.type(screen.getByLabelText("Password"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByTestId("user-email")).toHaveTextContent(alice.email);
    expect(screen.getByRole("link", { name: "Jobs" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "New job" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Templates" })).toBeInTheDocument();
  });

  it("checks the password rule before asking Cognito", async () => {
    const user = userEvent.setup();
    const auth = fakeAuth(null);
    renderApp("/", {}, auth);
    await user.click(await screen.findByRole("link", { name: "Create an account" }));
    await user.type(screen.getByLabelText("Email"), alice.email);
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByRole("alert")).toHaveTextContent("at least 12 characters, an uppercase letter, a digit, a symbol");
    expect(auth.signUp).not.toHaveBeenCalled();
    await user.click(screen.getByRole("link", { name: "Sign in instead" }));
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
  });

  it("shows Cognito's refusal", async () => {
    const user = userEvent.setup();
    const auth = fakeAuth(null);
    auth.signIn = vi.fn(async () => Promise.reject(Object.assign(new Error("Incorrect username or password."), { code: "NotAuthorizedException" })));
    renderApp("/", {}, auth);
    await user.type(await screen.findByLabelText("Email"), alice.email);
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Incorrect username or password.");
  });

  it("asks for the authenticator code when Cognito sends the SOFTWARE_TOKEN_MFA challenge", async () => {
    const user = userEvent.setup();
    const auth = fakeAuth(null);
    auth.signIn = vi.fn(async () => ({ kind: "totp" as const }));
    renderApp("/", { "GET /jobs": { jobs: [] } }, auth);
    await user.type(await screen.findByLabelText("Email"), alice.email);
    await user.type(screen.getByLabelText("Password"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await user.type(await screen.findByLabelText("Authentication code"), "654321");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(auth.submitTotp).toHaveBeenCalledWith("654321");
    expect(await screen.findByTestId("user-email")).toHaveTextContent(alice.email);
  });

  it("sends an unverified user to the code form", async () => {
    const user = userEvent.setup();
    const auth = fakeAuth(null);
    auth.signIn = vi.fn(async () => ({ kind: "unconfirmed" as const }));
    renderApp("/", {}, auth);
    await user.type(await screen.findByLabelText("Email"), alice.email);
    await user.type(screen.getByLabelText("Password"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByLabelText("Verification code")).toBeInTheDocument();
  });
});

describe("the signed-in shell", () => {
  it("signs out", async () => {
    const user = userEvent.setup();
    const { auth } = renderApp("/", { "GET /jobs": { jobs: [] } });
    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(auth.signOut).toHaveBeenCalled();
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByText(/session expired/)).not.toBeInTheDocument();
  });

  it("returns to sign-in, saying why, when the API answers 401", async () => {
    const { auth } = renderApp("/", { "GET /jobs": json({ message: "Unauthorized" }, 401) });
    expect(await screen.findByText(/Your session expired/)).toBeInTheDocument();
    expect(auth.signOut).toHaveBeenCalled();
    expect(screen.getByLabelText("Email")).toHaveValue(alice.email);
  });
});

describe("helpers", () => {
  it("states the password rule's missing parts", () => {
    expect(passwordProblems("Correct-Horse-9!")).toEqual([]);
    expect(passwordProblems("correcthorsebattery")).toEqual(["an uppercase letter", "a digit", "a symbol"]);
  });

  it("makes Cognito errors readable", () => {
    expect(authErrorMessage({ code: "UsernameExistsException", message: "User already exists" })).toBe(
      "An account with this email already exists. Sign in instead.",
    );
    expect(authErrorMessage({ code: "CodeMismatchException" })).toMatch(/not the one we sent/);
    expect(authErrorMessage(new Error("boom"))).toBe("boom");
    expect(authErrorMessage(null)).toBe("Something went wrong. Try again.");
  });
});
