import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createCognitoAuth } from "./auth/cognito";
import { loadConfig } from "./config";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

loadConfig()
  .then((config) => {
    root.render(
      <StrictMode>
        <App config={config} auth={createCognitoAuth(config)} />
      </StrictMode>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <div className="boot">
        <h1>Plot Palette cannot start</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
      </div>,
    );
  });
