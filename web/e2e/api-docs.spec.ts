// The interactive API documentation works with no other origin reachable: every request the
// page makes goes to the app itself (anything else is aborted here), Swagger UI renders the
// schema, and the page's Content-Security-Policy is never violated.
import { expect, test } from "./fixtures";

test.use({ signedIn: false });

test("API docs render from the app's own files, offline, within the CSP", async ({ page, baseURL }) => {
  const origin = new URL(baseURL ?? "").origin;
  const elsewhere: string[] = [];
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith("data:")) {
      await route.continue();
    } else {
      elsewhere.push(url);
      await route.abort();
    }
  });
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));

  await page.goto("/api/docs");
  await expect(page.getByRole("heading", { name: /Tasklane API/ })).toBeVisible();
  await expect(page.locator(".opblock-summary-path", { hasText: /^\/api\/v1\/tasks$/ }).first()).toBeVisible();
  await expect(page.getByRole("button", { name: /Authorize/ })).toBeVisible();

  expect(elsewhere).toEqual([]);
  expect(problems).toEqual([]);
});
