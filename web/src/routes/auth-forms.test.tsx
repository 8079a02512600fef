import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetSessionForTests } from "../auth/session";
import { json, renderWithApp } from "../test/render";
import LoginPage from "./LoginPage";
import SignupPage from "./SignupPage";

type Handler = (url: string, init: Request) => Response | Promise<Response>;

function stubApi(handler: Handler) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input instanceof Request ? input : new Request(String(input), { method: "POST" });
      const path = new URL(request.url).pathname;
      calls.push(`${request.method} ${path}`);
      if (path === "/api/v1/auth/refresh") return json({ type: "x", title: "x", status: 401, detail: "No session" }, 401);
      return handler(path, request);
    }),
  );
  return calls;
}

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

describe("sign-up form", () => {
  it("checks the fields before calling the server", async () => {
    const calls = stubApi(() => json({}, 500));
    const user = userEvent.setup();
    renderWithApp(<SignupPage />, { route: "/signup" });
    await user.type(screen.getByLabelText("Email"), "not-an-email");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByText("Enter your name.")).toBeInTheDocument();
    expect(screen.getByText("Enter a valid email address.")).toBeInTheDocument();
    expect(screen.getByText("Use at least 8 characters.")).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
    expect(calls.filter((c) => c.includes("register"))).toEqual([]);
  });

  it("shows a server field error at its field", async () => {
    stubApi((path) =>
      path === "/api/v1/auth/register"
        ? json(
            {
              type: "urn:tasklane:problem:validation-error",
              title: "Invalid input",
              status: 422,
              detail: "The password is too common.",
              errors: [{ field: "password", message: "This password is too common." }],
            },
            422,
          )
        : json({}, 500),
    );
    const user = userEvent.setup();
    renderWithApp(<SignupPage />, { route: "/signup" });
    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "password123");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    const message = await screen.findByText("This password is too common.");
    expect(screen.getByLabelText("Password")).toHaveAttribute(
      "aria-describedby",
      expect.stringContaining(message.id),
    );
  });

  it("points at the email field when it is taken", async () => {
    stubApi(() => json({ type: "x", title: "Conflict", status: 409, detail: "Email taken" }, 409));
    const user = userEvent.setup();
    renderWithApp(<SignupPage />, { route: "/signup" });
    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "password123");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText(/already exists/)).toBeInTheDocument();
  });
});

describe("login form", () => {
  it("logs in and goes to the page asked for", async () => {
    const calls = stubApi((path) => {
      if (path === "/api/v1/auth/login") return json({ access_token: "t", token_type: "bearer", expires_in: 900 });
      return json({ id: "u", email: "a@b.co", name: "A", role: "user", timezone: "UTC", preferences: {}, created_at: "", updated_at: "" });
    });
    const user = userEvent.setup();
    renderWithApp(<LoginPage />, { route: "/login?next=%2Ftasks%3Fstatus%3Dtodo", path: "/login" });
    await user.type(screen.getByLabelText("Email"), "a@b.co");
    await user.type(screen.getByLabelText("Password"), "whatever1");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/tasks?status=todo"));
    expect(calls).toContain("POST /api/v1/auth/login");
  });

  it("says clearly when rate limited", async () => {
    stubApi(() =>
      json({ type: "x", title: "Too Many Requests", status: 429, detail: "Slow down" }, 429, { "Retry-After": "30" }),
    );
    const user = userEvent.setup();
    renderWithApp(<LoginPage />, { route: "/login", path: "/login" });
    await user.type(screen.getByLabelText("Email"), "a@b.co");
    await user.type(screen.getByLabelText("Password"), "whatever1");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many attempts. Try again in 30 seconds.");
  });

  it("reports wrong credentials without naming the field", async () => {
    stubApi(() => json({ type: "x", title: "Invalid credentials", status: 401, detail: "no" }, 401));
    const user = userEvent.setup();
    renderWithApp(<LoginPage />, { route: "/login", path: "/login" });
    await user.type(screen.getByLabelText("Email"), "a@b.co");
    await user.type(screen.getByLabelText("Password"), "whatever1");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The email or password is not right.");
  });

  it("requires both fields", async () => {
    stubApi(() => json({}, 500));
    const user = userEvent.setup();
    renderWithApp(<LoginPage />, { route: "/login", path: "/login" });
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(screen.getByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
  });
});
