// Signing up, in and out, the settings screen, the help dialog and the 404 page.
import { expect, logIn, nav, test } from "./fixtures";
import { verifyLink, waitForMail } from "./mail";

test.describe("signed out", () => {
  test.use({ signedIn: false });

  test("sign up", async ({ page, newAccount, audit, shot }) => {
    await page.goto("/signup");
    await expect(page.getByLabel("Name")).toBeVisible();
    await audit("signup");
    await shot("signup");
    await page.getByLabel("Name").fill(newAccount.name);
    await page.getByLabel("Email").fill(newAccount.email);
    await page.getByLabel("Password").fill(newAccount.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  });

  test("log in; the session survives a reload", async ({ page, account }) => {
    await page.goto("/login");
    await logIn(page, account);
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  });
});

test("profile and theme", async ({ page, api, audit, shot }) => {
  await page.goto("/");
  await nav(page, "Settings");
  await page.getByLabel("Name").fill("Erin Q. Example");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Profile saved")).toBeVisible();
  expect((await api.call<{ name: string }>("GET", "/api/v1/users/me")).name).toBe("Erin Q. Example");

  const dark = page.waitForResponse((r) => r.url().endsWith("/api/v1/users/me") && r.request().method() === "PATCH");
  await page.getByLabel("Dark").check();
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  await dark;
  await audit("settings (dark)");
  await shot("settings-dark");
  await nav(page, "Dashboard");
  await expect(page.getByText("All tasks")).toBeVisible();
  await audit("dashboard (dark)");
  await shot("dashboard-dark");
  // The choice is the account's: a reload keeps it.
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);

  await nav(page, "Settings");
  await page.getByLabel("Light").check();
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/v1/users/me") && r.request().method() === "PATCH");
  await page.getByLabel("Follow the system").check();
  await saved;
  const me = await api.call<{ preferences: { theme?: string } }>("GET", "/api/v1/users/me");
  expect(me.preferences.theme).toBe("system");
});

test("change the email address", async ({ page, api, account }) => {
  await page.goto("/settings");
  const form = page.getByRole("region", { name: "Email" });
  const email = form.getByLabel("New email");
  const password = form.getByLabel("Confirm with your password");
  const fresh = account.email.replace("@", "+new@");
  await email.fill(fresh);
  await password.fill("not my password");
  await form.getByRole("button", { name: "Change email" }).click();
  await expect(form.getByText("The password is not correct.")).toBeVisible();

  await password.fill(account.password);
  const asked = Date.now();
  await form.getByRole("button", { name: "Change email" }).click();
  // Nothing changes until the link sent to the new address is opened.
  await expect(form.getByText(`Check ${fresh}`)).toBeVisible();
  await expect(email).toHaveValue("");
  expect((await api.call<{ email: string }>("GET", "/api/v1/users/me")).email).toBe(account.email);

  const link = verifyLink(await waitForMail(fresh, asked));
  await page.goto(link.pathname + link.hash);
  await expect(page).toHaveURL(/\/verify-email$/); // the token is out of the address bar
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByText(`Your account now uses ${fresh}.`)).toBeVisible();
  const me = await api.call<{ email: string; email_verified_at: string | null }>("GET", "/api/v1/users/me");
  expect(me.email).toBe(fresh);
  expect(me.email_verified_at).not.toBeNull();
  await page.goto("/settings");
  await expect(page.getByRole("region", { name: "Email" })).toContainText("Verified");
});

test("a theme the server refuses is taken back", async ({ page }) => {
  await page.goto("/settings");
  await page.route("**/api/v1/users/me", (route) =>
    route.request().method() === "PATCH"
      ? route.fulfill({
          status: 503,
          contentType: "application/problem+json",
          body: JSON.stringify({ type: "about:blank", title: "Unavailable", status: 503, detail: "Try later." }),
        })
      : route.fallback(),
  );
  await page.getByLabel("Dark").click();
  await expect(page.getByRole("alert").filter({ hasText: "Theme not saved" })).toBeVisible();
  await expect(page.getByLabel("Follow the system")).toBeChecked();
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
});

test("help, 404 and log out", async ({ page, audit, shot }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeHidden();
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await audit("404");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await audit("login");
  await shot("login");
  // Signed out for real: a reload does not sign back in.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
});
