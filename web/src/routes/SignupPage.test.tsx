import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { resetSessionForTests } from "../auth/session";
import { json, renderWithApp } from "../test/render";
import SignupPage from "./SignupPage";

// The browser still reports the old alias of Kyiv.
vi.mock("../lib/dates", async (original) => ({ ...(await original<typeof import("../lib/dates")>()), browserZone: () => "Europe/Kiev" }));

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

it("creates the account in the browser's time zone, by its current name, in one request", async () => {
  const sent: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const path = new URL(request.url).pathname;
      const text = await request.clone().text();
      sent.push({ method: request.method, path, body: text ? (JSON.parse(text) as unknown) : null });
      if (path === "/api/v1/auth/refresh") return json({ type: "x", title: "x", status: 401, detail: "No session" }, 401);
      if (path === "/api/v1/auth/login") return json({ access_token: "t", token_type: "bearer", expires_in: 900 });
      return json({ id: "u", email: "ada@example.com", name: "Ada", role: "user", timezone: "Europe/Kyiv", preferences: {}, created_at: "", updated_at: "" }, path.endsWith("register") ? 201 : 200);
    }),
  );
  const user = userEvent.setup();
  renderWithApp(<SignupPage />, { route: "/signup" });
  await user.type(screen.getByLabelText("Name"), "Ada");
  await user.type(screen.getByLabelText("Email"), "ada@example.com");
  await user.type(screen.getByLabelText("Password"), "analytical engine");
  await user.click(screen.getByRole("button", { name: "Create account" }));
  await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/));
  expect(sent.find((r) => r.path === "/api/v1/auth/register")?.body).toEqual({
    name: "Ada",
    email: "ada@example.com",
    password: "analytical engine",
    timezone: "Europe/Kyiv",
  });
  // No second request to set the zone afterwards.
  expect(sent.filter((r) => r.method === "PATCH")).toEqual([]);
}, 20_000);
