// Forgot password: the emailed link (read from the API's mailbox), a new password, signed in.
import { expect, logIn, test } from "./fixtures";
import { resetLink, waitForMail } from "./mail";

test.use({ signedIn: false });

test("forgot password, the emailed link, a new password", async ({ page, account, baseURL, audit, shot }) => {
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await audit("forgot password");
  const since = Date.now();
  await page.getByLabel("Email").fill(account.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByText("If an account has this address, a link to choose a new password is on its way.")).toBeVisible();
  await shot("forgot-password-sent");

  const link = resetLink(await waitForMail(account.email, since, 10_000, /\/reset-password#token=/));
  expect(link.origin).toBe(new URL(baseURL ?? "").origin);
  await page.goto(link.href);
  const password = page.getByLabel("New password", { exact: true });
  await expect(password).toBeVisible();
  // The token has left the address bar.
  expect(new URL(page.url()).hash).toBe("");
  await audit("reset password");
  await shot("reset-password");

  const fresh = "a whole new secret";
  await password.fill(fresh);
  await page.getByLabel("Confirm new password").fill(fresh);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByText("Password changed; you are signed in.")).toBeVisible();

  // The link works once.
  await page.goto(link.href);
  await password.fill("yet another secret");
  await page.getByLabel("Confirm new password").fill("yet another secret");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("alert")).toHaveText("This link is invalid, used or expired; ask for a new one.");
  await expect(page.getByRole("link", { name: "Forgot password" })).toBeVisible();

  // The old password is refused, the new one lets you in.
  await page.goto("/");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await logIn(page, account);
  await expect(page.getByRole("alert")).toHaveText("The email or password is not right.");
  await logIn(page, { ...account, password: fresh });
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
});

test("a link without its token", async ({ page, audit }) => {
  await page.goto("/reset-password");
  await expect(page.getByRole("alert")).toHaveText("This link is invalid, used or expired; ask for a new one.");
  await audit("reset password (no token)");
  await page.getByRole("link", { name: "Forgot password" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
});
