// Providers and routes: server state (TanStack Query), the signed-in user, the pages.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { BrowserRouter, Link, Route, Routes } from "react-router-dom";
import { ApiError, type ApiClient } from "./api/client";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { AuthPage } from "./auth/AuthPage";
import type { AuthService } from "./auth/cognito";
import { Layout, PageHeader } from "./components/Layout";
import type { AppConfig } from "./config";
import { BatchesRoutes } from "./pages/BatchesPage";
import { GalleryPage } from "./pages/GalleryPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { NewJobPage } from "./pages/NewJobPage";
import { NotificationsPage } from "./pages/NotificationsPage";

// The editor (CodeMirror) is the largest dependency: only the templates page loads it.
const TemplatesPage = lazy(() => import("./pages/TemplatesPage"));
const AnalyticsPage = lazy(() => import("./pages/AnalyticsPage"));

/** Client errors (4xx) are answers, not glitches: asking again would get the same one. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 1000 },
      mutations: { retry: false },
    },
  });
}

function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        Nothing lives here. <Link to="/">Back to your jobs</Link>.
      </p>
    </>
  );
}

function Gate() {
  const { status } = useAuth();
  if (status === "loading") {
    return <div className="boot muted">Loading…</div>;
  }
  if (status === "signedOut") return <AuthPage />;
  return (
    <Layout>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/" element={<JobsPage />} />
          <Route path="/jobs/new" element={<NewJobPage />} />
          <Route path="/jobs/:jobId" element={<JobPage />} />
          <Route path="/templates" element={<TemplatesPage />} />
          <Route path="/gallery" element={<GalleryPage />} />
          <Route path="/batches/*" element={<BatchesRoutes />} />
          <Route path="/settings/notifications" element={<NotificationsPage />} />
          <Route path="/analytics" element={<AnalyticsPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

export interface AppProps {
  config: AppConfig;
  auth: AuthService;
  api?: ApiClient;
  queryClient?: QueryClient;
}

export function App({ config, auth, api, queryClient }: AppProps) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={client}>
      <AuthProvider config={config} auth={auth} api={api}>
        <BrowserRouter>
          <Gate />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}
