/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The local cloud (`plot-palette local up --api-port 8765`) serves the API, the Cognito proxy,
// /config.json and the mailbox; `vite dev` proxies them so the page stays same-origin.
const backend = process.env.PLOT_PALETTE_BACKEND ?? "http://127.0.0.1:8765";

/** In dev, /config.json names the backend's absolute URLs; make them relative to the dev server. */
function devConfigJson(): Plugin {
  return {
    name: "plot-palette-dev-config",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use("/config.json", (_req, res) => {
        fetch(`${backend}/config.json`)
          .then(async (upstream) => {
            const text = (await upstream.text()).split(backend).join("");
            res.statusCode = upstream.status;
            res.setHeader("Content-Type", "application/json");
            res.end(text);
          })
          .catch((error: unknown) => {
            res.statusCode = 502;
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify({ message: `backend ${backend} unreachable: ${String(error)}` }));
          });
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), devConfigJson()],
  // amazon-cognito-identity-js depends on buffer@4, which reads the Node global `global`.
  define: { global: "globalThis" },
  server: {
    proxy: {
      "/api": backend,
      "/cognito": backend,
      "/local": backend,
    },
  },
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
    unstubGlobals: true,
    // Generous, like the async utilities' timeout in src/test/setup.ts: load must not fail a test.
    testTimeout: 120_000,
  },
});
