// Starts the API once for the whole run (a temporary SQLite database, serving the built app)
// and hands its address to the workers through the environment. Returns the teardown.
import { mkdirSync } from "node:fs";
import { ARTIFACTS } from "./paths";
import { startApi } from "./server.mjs";

export default async function globalSetup(): Promise<() => void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Every test signs a fresh user up and in from the same loopback address: the auth limits are
  // raised here (the Python suite tests the real ones).
  const api = await startApi({
    TASKLANE_RATE_LIMIT_AUTH_ADDRESS: "2000/minute",
    TASKLANE_RATE_LIMIT_AUTH_ACCOUNT: "100/minute",
  });
  process.env.TASKLANE_E2E_BASE_URL = api.base;
  process.env.TASKLANE_E2E_MAIL_DIR = api.mailDir;
  return () => {
    api.stop();
  };
}
