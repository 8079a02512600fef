import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetSessionForTests } from "../../../auth/session";
import { ToastProvider } from "../../../components/Toasts";
import { json, LocationProbe } from "../../../test/render";
import { NotificationBell } from "./NotificationBell";

const reminder = {
  id: "n1",
  kind: "reminder",
  task_id: "t1",
  title: "Pay rent",
  body: "Due now",
  created_at: new Date(Date.now() - 120_000).toISOString(),
  read_at: null,
};

/** The server: one unread reminder; marking it read waits for `release` and then fails. */
function stubServer() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (path === "/api/v1/notifications/unread-count") return json({ unread: 1 });
      if (path === "/api/v1/notifications") return json({ items: [reminder], next_cursor: null });
      if (path === "/api/v1/notifications/n1/read") {
        await gate;
        return json({ type: "about:blank", title: "Unavailable", status: 503, detail: "Try later." }, 503);
      }
      return json({}, 500);
    }),
  );
  return { release: () => release() };
}

function renderBell() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/"]}>
        <ToastProvider>
          <NotificationBell />
          <LocationProbe />
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

describe("NotificationBell", () => {
  it("counts, lists, and takes back a read the server refused", async () => {
    const server = stubServer();
    const user = userEvent.setup();
    renderBell();
    const bell = await screen.findByRole("button", { name: "Notifications, 1 unread" });
    expect(bell).toHaveAttribute("aria-expanded", "false");

    await user.click(bell);
    expect(bell).toHaveAttribute("aria-expanded", "true");
    const list = await screen.findByRole("list", { name: "Notifications" });
    expect(list).toHaveTextContent("Pay rent");
    expect(list).toHaveTextContent("Due now");
    expect(list).toHaveTextContent("2 minutes ago");

    // Keyboard: down into the list, Escape back to the bell.
    await user.keyboard("{ArrowDown}");
    expect(screen.getByRole("button", { name: /Pay rent/ })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(bell).toHaveFocus();
    expect(bell).toHaveAttribute("aria-expanded", "false");

    await user.click(bell);
    await user.click(await screen.findByRole("button", { name: /Pay rent/ }));
    // At once: read, and off to the task.
    expect(await screen.findByRole("button", { name: "Notifications, none unread" })).toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/tasks?q=Pay%20rent");

    server.release();
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    expect(await screen.findByRole("alert")).toHaveTextContent("Not marked as read. Try later.");
  });
});
