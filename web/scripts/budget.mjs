// Bundle budget: the JavaScript the login page loads, gzipped, must stay within BUDGET_KB; the
// dashboard, today, upcoming, tasks and board screens, and the password-reset ones, must be lazy chunks the login
// page does not load.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 120;
const DIST = new URL("../dist/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL(".vite/manifest.json", DIST), "utf8"));

const LOGIN_ROUTE = "src/routes/LoginPage.tsx";
const LAZY_ROUTES = [
  "src/routes/DashboardPage.tsx",
  "src/routes/TasksPage.tsx",
  "src/routes/BoardPage.tsx",
  "src/routes/TodayPage.tsx",
  "src/routes/UpcomingPage.tsx",
  "src/routes/ForgotPasswordPage.tsx",
  "src/routes/ResetPasswordPage.tsx",
];

function staticClosure(keys) {
  const seen = new Set();
  const stack = [...keys];
  while (stack.length) {
    const key = stack.pop();
    if (seen.has(key)) continue;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`manifest has no chunk ${key}`);
    seen.add(key);
    stack.push(...(chunk.imports ?? []));
  }
  return seen;
}

const entries = Object.entries(manifest).filter(([, c]) => c.isEntry).map(([k]) => k);
if (entries.length !== 1) throw new Error(`expected one entry chunk, found ${entries.length}`);
const entry = entries[0];
if (!manifest[LOGIN_ROUTE]?.isDynamicEntry) {
  throw new Error(`${LOGIN_ROUTE} should be a lazy chunk of its own`);
}
const loginKeys = staticClosure([entry, LOGIN_ROUTE]);

const failures = [];
for (const route of LAZY_ROUTES) {
  const chunk = manifest[route];
  if (!chunk?.isDynamicEntry) failures.push(`${route} is not a lazy chunk`);
  else if (loginKeys.has(route)) failures.push(`${route} is loaded by the login page`);
}

let total = 0;
const rows = [];
for (const key of loginKeys) {
  const file = manifest[key].file;
  if (!file.endsWith(".js")) continue;
  const gz = gzipSync(readFileSync(new URL(file, DIST)), { level: 9 }).length;
  total += gz;
  rows.push([file, gz]);
}
rows.sort((a, b) => b[1] - a[1]);
for (const [file, gz] of rows) console.log(`${(gz / 1024).toFixed(1).padStart(7)} KB  ${file}`);
const totalKb = total / 1024;
console.log(`login page JS: ${totalKb.toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
for (const route of LAZY_ROUTES) console.log(`lazy: ${route} -> ${manifest[route]?.file}`);
if (totalKb > BUDGET_KB) failures.push(`login page JS is ${totalKb.toFixed(1)} KB > ${BUDGET_KB} KB`);
if (failures.length) {
  for (const f of failures) console.error(`budget: ${f}`);
  process.exit(1);
}
