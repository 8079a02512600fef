// Fails when src/api/schema.d.ts differs from what ../openapi.json generates today.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "./gen-api.mjs";

const dir = mkdtempSync(join(tmpdir(), "tasklane-api-"));
const fresh = join(dir, "schema.d.ts");
try {
  writeFileSync(fresh, await generate());
  const committed = readFileSync(new URL("../src/api/schema.d.ts", import.meta.url), "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error("src/api/schema.d.ts is stale: run `npm run gen:api` and commit it.");
    process.exit(1);
  }
  console.log("API client is up to date with ../openapi.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
