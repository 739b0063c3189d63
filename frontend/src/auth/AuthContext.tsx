// Who is signed in, and the API client that carries their token. A 401 from the API (or a
// session that cannot be refreshed) signs the user out locally and says why; drafts stay.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiClient } from "../api/client";
import type { AppConfig } from "../config";
import type { AuthService, SignedInUser } from "./cognito";

export type AuthStatus = "loading" | "signedOut" | "signedIn";

export interface AuthContextValue {
  config: AppConfig;
  auth: AuthService;
  api: ApiClient;
  status: AuthStatus;
  user: SignedInUser | null;
  /** True when the last sign-out was a session that expired (not the user's choice). */
  expired: boolean;
  /** The email of the last signed-in user, to prefill the sign-in form. */
  lastEmail: string;
  signedIn(user: SignedInUser): void;
  signOut(): void;
  expire(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

export function useApi(): ApiClient {
  return useAuth().api;
}

/** The signed-in user (only for components under the signed-in shell). */
export function useUser(): SignedInUser {
  const { user } = useAuth();
  if (!user) throw new Error("useUser while signed out");
  return user;
}

interface AuthProviderProps {
  config: AppConfig;
  auth: AuthService;
  /** For tests: a client to use instead of one built on `auth`. */
  api?: ApiClient;
  children: ReactNode;
}

export function AuthProvider({ config, auth, api: givenApi, children }: AuthProviderProps) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthStatus>("loading");
  const [user, setUser] = useState<SignedInUser | null>(null);
  const [expired, setExpired] = useState(false);
  const [lastEmail, setLastEmail] = useState("");
  const expireRef = useRef<() => void>(() => undefined);

  const userRef = useRef<SignedInUser | null>(null);
  userRef.current = user;

  const leave = useCallback(
    (becauseExpired: boolean) => {
      auth.signOut();
      const current = userRef.current;
      if (current) {
        // Later 401s of requests already in flight find nobody signed in and change nothing.
        setLastEmail(current.email);
        setExpired(becauseExpired);
      }
      setUser(null);
      setStatus("signedOut");
      queryClient.clear();
    },
    [auth, queryClient],
  );
  const expire = useCallback(() => leave(true), [leave]);
  expireRef.current = expire;

  const api = useMemo(
    () =>
      givenApi ??
      new ApiClient({
        baseUrl: config.apiEndpoint,
        getToken: () => auth.getAccessToken(),
        onUnauthorized: () => expireRef.current(),
      }),
    [givenApi, config.apiEndpoint, auth],
  );

  useEffect(() => {
    let live = true;
    auth
      .restore()
      .then((restored) => {
        if (!live) return;
        setUser(restored);
        setStatus(restored ? "signedIn" : "signedOut");
      })
      .catch(() => live && setStatus("signedOut"));
    return () => {
      live = false;
    };
  }, [auth]);

  const signedIn = useCallback((next: SignedInUser) => {
    setUser(next);
    setLastEmail(next.email);
    setExpired(false);
    setStatus("signedIn");
  }, []);

  const signOut = useCallback(() => leave(false), [leave]);

  const value = useMemo<AuthContextValue>(
    () => ({ config, auth, api, status, user, expired, lastEmail, signedIn, signOut, expire }),
    [config, auth, api, status, user, expired, lastEmail, signedIn, signOut, expire],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
