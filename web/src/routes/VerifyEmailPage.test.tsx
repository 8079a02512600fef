import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetSessionForTests } from "../auth/session";
import { json, renderWithApp } from "../test/render";
import VerifyEmailPage from "./VerifyEmailPage";

const CONFIRM = "/api/v1/auth/email/confirm";

/** A server with no session; `confirm` answers the link. Records the bodies sent to it. */
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
      return json({ type: "x", title: "x", status: 503, detail: "later" }, 503);
    }),
  );
  return bodies;
}

function openLink(hash: string) {
  window.history.replaceState(null, "", `/verify-email${hash}`);
  return renderWithApp(<VerifyEmailPage />, { route: "/verify-email" });
}

beforeEach(() => resetSessionForTests());
afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("verify email page", () => {
  it("takes the token out of the address bar and confirms only when asked", async () => {
    const bodies = stubApi(() => json({ email: "ada@example.com", changed: false }));
    openLink("#token=tok-123_abc");
    expect(window.location.hash).toBe("");
    expect(bodies).toEqual([]); // opening the link confirms nothing by itself

    await userEvent.setup().click(screen.getByRole("button", { name: "Confirm my address" }));
    expect(await screen.findByText("ada@example.com is verified. Thank you!")).toBeInTheDocument();
    expect(bodies).toEqual([{ token: "tok-123_abc" }]);
    expect(screen.getByRole("link", { name: "Sign in" })).toBeInTheDocument();
  });

  it("says when the account moved to the new address", async () => {
    stubApi(() => json({ email: "new@example.com", changed: true }));
    openLink("#token=t");
    await userEvent.setup().click(screen.getByRole("button", { name: "Confirm my address" }));
    expect(await screen.findByText("Your account now uses new@example.com.")).toBeInTheDocument();
  });

  it("explains a used or expired link, and a link without a token", async () => {
    stubApi(() =>
      json(
        {
          type: "urn:tasklane:problem:validation-error",
          title: "Invalid input",
          status: 422,
          detail: "x",
          errors: [{ field: "token", message: "This link is invalid, used or expired; ask for a new one." }],
        },
        422,
      ),
    );
    const { unmount } = openLink("#token=used");
    await userEvent.setup().click(screen.getByRole("button", { name: "Confirm my address" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("invalid, used or expired"));
    unmount();
    openLink("");
    expect(screen.getByRole("alert")).toHaveTextContent("invalid, used or expired");
    expect(screen.queryByRole("button", { name: "Confirm my address" })).not.toBeInTheDocument();
  });
});
