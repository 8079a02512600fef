import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { resetSessionForTests } from "../../../auth/session";
import { json } from "../../../test/render";
import { userKeys } from "./get-me";
import { useUpdateTheme } from "./update-theme";

const user: User = {
  id: "u1",
  email: "erin@example.com",
  name: "Erin",
  role: "user",
  timezone: "UTC",
  preferences: { theme: "system", task_view: "list" },
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function setup() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  client.setQueryData(userKeys.me(), user);
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  const theme = () => client.getQueryData<User>(userKeys.me())?.preferences.theme;
  return { wrapper, theme };
}

/** Answers the one request with `response` once the test calls the returned function. */
function holdRequest(response: Response) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const fetch = vi.fn(async () => {
    await gate;
    return response;
  });
  vi.stubGlobal("fetch", fetch);
  return { fetch, release: () => release() };
}

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

describe("useUpdateTheme", () => {
  it("takes the theme at once and puts the old one back when the save fails", async () => {
    const { wrapper, theme } = setup();
    const http = holdRequest(json({ type: "about:blank", title: "Unavailable", status: 503, detail: "Later." }, 503));
    const onError = vi.fn();
    const { result } = renderHook(() => useUpdateTheme({ onError }), { wrapper });

    act(() => result.current.mutate("dark"));
    await waitFor(() => expect(theme()).toBe("dark"));
    await waitFor(() => expect(http.fetch).toHaveBeenCalledOnce());

    http.release();
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(theme()).toBe("system");
    expect(onError).toHaveBeenCalledOnce();
  });

  it("keeps the profile the server answers with", async () => {
    const { wrapper, theme } = setup();
    const http = holdRequest(json({ ...user, preferences: { ...user.preferences, theme: "light" } }));
    const { result } = renderHook(() => useUpdateTheme(), { wrapper });

    act(() => result.current.mutate("light"));
    await waitFor(() => expect(theme()).toBe("light"));
    http.release();
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(theme()).toBe("light");
  });
});
