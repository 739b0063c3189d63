// Sign-up, verification, sign-in (with the TOTP challenge), session refresh and sign-out over
// amazon-cognito-identity-js. Tokens live where the library keeps them (localStorage); a session
// past its expiry is refreshed with the refresh token by `getSession`.
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
  type CognitoUserSession,
} from "amazon-cognito-identity-js";
import type { AppConfig } from "../config";

export interface SignedInUser {
  email: string;
  username: string;
}

export type SignInOutcome =
  | { kind: "signedIn"; user: SignedInUser }
  | { kind: "totp" }
  | { kind: "unconfirmed" };

export interface AuthService {
  signUp(email: string, password: string): Promise<void>;
  confirmSignUp(email: string, code: string): Promise<void>;
  resendCode(email: string): Promise<void>;
  signIn(email: string, password: string): Promise<SignInOutcome>;
  /** Answers the SOFTWARE_TOKEN_MFA challenge of the sign-in in progress. */
  submitTotp(code: string): Promise<SignedInUser>;
  /** The user of a stored session (refreshed if needed), or null. */
  restore(): Promise<SignedInUser | null>;
  /** A valid access token; rejects when there is no session or it cannot be refreshed. */
  getAccessToken(): Promise<string>;
  signOut(): void;
}

/** The message a Cognito error carries, made a little friendlier for the common cases. */
export function authErrorMessage(error: unknown): string {
  const err = error as { code?: string; name?: string; message?: string } | null;
  const code = err?.code ?? err?.name ?? "";
  switch (code) {
    case "UsernameExistsException":
      return "An account with this email already exists. Sign in instead.";
    case "CodeMismatchException":
      return "That code is not the one we sent. Check it and try again.";
    case "ExpiredCodeException":
      return "That code has expired. Ask for a new one.";
    case "NotAuthorizedException":
      return err?.message || "Incorrect email or password.";
    case "UserNotFoundException":
      return "Incorrect email or password.";
    default:
      return err?.message || "Something went wrong. Try again.";
  }
}

function userFromSession(session: CognitoUserSession, username: string): SignedInUser {
  const payload = session.getIdToken().decodePayload() as { email?: string };
  return { email: payload.email ?? username, username };
}

export function createCognitoAuth(config: AppConfig): AuthService {
  const pool = new CognitoUserPool({
    UserPoolId: config.userPoolId,
    ClientId: config.clientId,
    ...(config.cognitoEndpoint ? { endpoint: config.cognitoEndpoint } : {}),
  });
  let pending: CognitoUser | null = null;

  function cognitoUser(email: string): CognitoUser {
    const user = new CognitoUser({ Username: email, Pool: pool });
    if (config.authFlow) user.setAuthenticationFlowType(config.authFlow);
    return user;
  }

  function session(user: CognitoUser): Promise<CognitoUserSession> {
    return new Promise((resolve, reject) => {
      user.getSession((error: Error | null, result: CognitoUserSession | null) => {
        if (error || !result || !result.isValid()) reject(error ?? new Error("no valid session"));
        else resolve(result);
      });
    });
  }

  return {
    signUp(email, password) {
      const attributes = [new CognitoUserAttribute({ Name: "email", Value: email })];
      return new Promise((resolve, reject) => {
        pool.signUp(email, password, attributes, [], (error) => (error ? reject(error) : resolve()));
      });
    },

    confirmSignUp(email, code) {
      return new Promise((resolve, reject) => {
        cognitoUser(email).confirmRegistration(code, true, (error) => (error ? reject(error) : resolve()));
      });
    },

    resendCode(email) {
      return new Promise((resolve, reject) => {
        cognitoUser(email).resendConfirmationCode((error) => (error ? reject(error) : resolve()));
      });
    },

    signIn(email, password) {
      const user = cognitoUser(email);
      const details = new AuthenticationDetails({ Username: email, Password: password });
      return new Promise((resolve, reject) => {
        user.authenticateUser(details, {
          onSuccess: (result) => {
            pending = null;
            resolve({ kind: "signedIn", user: userFromSession(result, user.getUsername()) });
          },
          onFailure: (error: { code?: string }) => {
            if (error?.code === "UserNotConfirmedException") resolve({ kind: "unconfirmed" });
            else reject(error);
          },
          totpRequired: () => {
            pending = user;
            resolve({ kind: "totp" });
          },
          mfaSetup: () => reject(new Error("This account must set up an authenticator app first.")),
          mfaRequired: () => reject(new Error("SMS codes are not enabled for this user pool.")),
          newPasswordRequired: () => reject(new Error("This account must set a new password first.")),
        });
      });
    },

    submitTotp(code) {
      const user = pending;
      if (!user) return Promise.reject(new Error("Sign in again: the code request has expired."));
      return new Promise((resolve, reject) => {
        user.sendMFACode(
          code,
          {
            onSuccess: (result) => {
              pending = null;
              resolve(userFromSession(result, user.getUsername()));
            },
            onFailure: (error) => reject(error),
          },
          "SOFTWARE_TOKEN_MFA",
        );
      });
    },

    async restore() {
      const user = pool.getCurrentUser();
      if (!user) return null;
      try {
        return userFromSession(await session(user), user.getUsername());
      } catch {
        return null;
      }
    },

    async getAccessToken() {
      const user = pool.getCurrentUser();
      if (!user) throw new Error("not signed in");
      return (await session(user)).getAccessToken().getJwtToken();
    },

    signOut() {
      pending = null;
      pool.getCurrentUser()?.signOut();
    },
  };
}
