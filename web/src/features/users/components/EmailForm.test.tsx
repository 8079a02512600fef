import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { json, renderWithApp } from "../../../test/render";
import { EmailForm, EmailStatus } from "./EmailForm";

const USER: User = {
  id: "u",
  email: "ada@example.com",
  name: "Ada",
  role: "user",
  timezone: "Europe/Lisbon",
  preferences: {},
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  email_verified_at: null,
};

function stubApi() {
  const calls: { path: string; body: unknown }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input instanceof Request ? input : new Request(String(input));
      const path = new URL(request.url).pathname;
      if (path === "/api/v1/auth/refresh") return json({ type: "x", title: "x", status: 401, detail: "No session" }, 401);
      const text = request.method === "POST" ? await request.text() : "";
      calls.push({ path, body: text ? JSON.parse(text) : null });
      if (path === "/api/v1/users/me/email") return json({ detail: "sent", new_email: "new@example.com" }, 202);
      if (path === "/api/v1/users/me/verification") return new Response(null, { status: 202 });
      return json({ type: "x", title: "x", status: 503, detail: "later" }, 503);
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("email settings", () => {
  it("asks for the change and says where the link went; the address stays until it is opened", async () => {
    const calls = stubApi();
    renderWithApp(<EmailForm user={USER} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New email"), "New@Example.com");
    await user.type(screen.getByLabelText("Confirm with your password"), "secret words");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    expect(await screen.findByText(/Check new@example\.com: your address changes when you open the link/)).toBeInTheDocument();
    expect(calls).toEqual([
      { path: "/api/v1/users/me/email", body: { new_email: "New@Example.com", password: "secret words" } },
    ]);
  });

  it("shows an unverified address and sends the link again", async () => {
    const calls = stubApi();
    renderWithApp(<EmailStatus user={USER} />);
    expect(screen.getByText("Not verified")).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Send the link again" }));
    expect(await screen.findByText(/A new link is on its way to ada@example\.com/)).toBeInTheDocument();
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/users/me/verification"]);
  });

  it("shows a verified address as such", () => {
    stubApi();
    renderWithApp(<EmailStatus user={{ ...USER, email_verified_at: "2026-02-01T00:00:00Z" }} />);
    expect(screen.getByText("Verified")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send the link again" })).not.toBeInTheDocument();
  });
});
