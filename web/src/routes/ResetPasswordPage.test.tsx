import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getAccessToken, resetSessionForTests } from "../auth/session";
import { json, renderWithApp } from "../test/render";
import ResetPasswordPage from "./ResetPasswordPage";

const CONFIRM = "/api/v1/auth/password-reset/confirm";

/** A server with no session; `confirm` answers the reset. Records the bodies sent to it. */
function stubApi(confirm: () => Response) {
  const bodies: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input instanceof Request ? input : new Request(String(input), { method: "POST" });
      const path = new URL(request.url).pathname;
      if (path === "/api/v1/auth/refresh") return json({ type: "x", title: "x", status: 401, detail: "No session" }, 401);
      if (path === CONFIRM) {
        bodies.push(await request.json());
        return confirm();
      }
      if (path === "/api/v1/users/me") return json({ type: "x", title: "x", status: 503, detail: "later" }, 503);
      return json({}, 500);
    }),
  );
  return bodies;
}

/** Opens the page the way the emailed link does: the token in the address bar's fragment. */
function openLink(hash: string) {
  window.history.replaceState(null, "", `/reset-password${hash}`);
  return renderWithApp(<ResetPasswordPage />, { route: "/reset-password" });
}

async function choose(password: string, confirmation = password) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("New password"), password);
  await user.type(screen.getByLabelText("Confirm new password"), confirmation);
  await user.click(screen.getByRole("button", { name: "Set the new password" }));
}

beforeEach(() => resetSessionForTests());
afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("reset password page", () => {
  it("takes the token out of the address bar and sends it with the new password", async () => {
    const bodies = stubApi(() => json({ access_token: "new-session", token_type: "bearer", expires_in: 900 }));
    openLink("#token=tok-123_abc");
    // Gone before the user does anything.
    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toContain("tok-123");
    expect(window.location.pathname).toBe("/reset-password");

    await choose("a brand new secret");
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
    expect(bodies).toEqual([{ token: "tok-123_abc", new_password: "a brand new secret" }]);
    expect(getAccessToken()).toBe("new-session");
    expect(await screen.findByText("Password changed; you are signed in.")).toBeInTheDocument();
  });

  it("checks the two entries before calling the server", async () => {
    const bodies = stubApi(() => json({}, 500));
    openLink("#token=t");
    await choose("short", "other");
    expect(screen.getByText("Use at least 8 characters.")).toBeInTheDocument();
    await choose("long enough now", "long enough no");
    expect(screen.getByText("The two passwords are not the same.")).toBeInTheDocument();
    expect(bodies).toEqual([]);
  });

  it("without a token says so and links to ask again", () => {
    stubApi(() => json({}, 500));
    openLink("");
    expect(screen.getByRole("alert")).toHaveTextContent("This link is invalid, used or expired");
    expect(screen.getByRole("link", { name: "Forgot password" })).toHaveAttribute("href", "/forgot-password");
    expect(screen.queryByLabelText("New password")).not.toBeInTheDocument();
  });

  it("shows the server's word on a spent token, and on a weak password at its field", async () => {
    let answer = json(
      {
        type: "urn:tasklane:problem:validation-error",
        title: "Invalid input",
        status: 422,
        detail: "Invalid input",
        errors: [{ field: "new_password", message: "This password is too common." }],
      },
      422,
    );
    stubApi(() => answer);
    openLink("#token=spent");
    await choose("password1");
    expect(await screen.findByText("This password is too common.")).toBeInTheDocument();

    answer = json(
      {
        type: "urn:tasklane:problem:validation-error",
        title: "Invalid input",
        status: 422,
        detail: "Invalid input",
        errors: [{ field: "token", message: "This link is invalid, used or expired; ask for a new one." }],
      },
      422,
    );
    await userEvent.setup().click(screen.getByRole("button", { name: "Set the new password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This link is invalid, used or expired; ask for a new one.");
    expect(screen.getByRole("link", { name: "Forgot password" })).toBeInTheDocument();
    expect(getAccessToken()).toBeNull();
  });
});
