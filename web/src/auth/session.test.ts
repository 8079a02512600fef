import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json } from "../test/render";
import { authFetch, getAccessToken, refreshAccessToken, resetSessionForTests, setAccessToken } from "./session";

const API = `${location.origin}/api/v1/tasks`;
const REFRESH = `${location.origin}/api/v1/auth/refresh`;

function urlOf(input: RequestInfo | URL): string {
  return input instanceof Request ? input.url : String(input);
}

function authOf(input: RequestInfo | URL): string | null {
  return input instanceof Request ? input.headers.get("Authorization") : null;
}

describe("token refresh", () => {
  let refreshCalls: number;

  beforeEach(() => {
    resetSessionForTests();
    refreshCalls = 0;
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** A server whose valid token is `fresh`; refresh hands it out after a short delay. */
  function stubServer({ refreshOk = true, alwaysUnauthorized = false } = {}) {
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = urlOf(input);
      if (url === REFRESH) {
        refreshCalls += 1;
        expect(new Headers(init?.headers).get("X-Requested-With")).toBe("XMLHttpRequest");
        await new Promise((r) => setTimeout(r, 20));
        return refreshOk
          ? json({ access_token: "fresh", token_type: "bearer", expires_in: 900 })
          : json({ type: "x", title: "Authentication required", status: 401, detail: "No session" }, 401);
      }
      if (!alwaysUnauthorized && authOf(input) === "Bearer fresh") {
        return json({ items: [], next_cursor: null });
      }
      return json({ type: "x", title: "Authentication required", status: 401, detail: "expired" }, 401);
    });
    vi.stubGlobal("fetch", fetchMock);
    return fetchMock;
  }

  it("refreshes once for concurrent 401s and retries each request", async () => {
    setAccessToken("stale");
    const fetchMock = stubServer();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => authFetch(new Request(API))),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(refreshCalls).toBe(1);
    expect(getAccessToken()).toBe("fresh");
    // 5 first tries + 1 refresh + 5 retries
    expect(fetchMock).toHaveBeenCalledTimes(11);
  });

  it("retries only once when the retry is refused too", async () => {
    setAccessToken("stale");
    const fetchMock = stubServer({ alwaysUnauthorized: true });
    const response = await authFetch(new Request(API));
    expect(response.status).toBe(401);
    expect(refreshCalls).toBe(1);
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it("signs out when the refresh cookie is gone", async () => {
    setAccessToken("stale");
    stubServer({ refreshOk: false });
    const response = await authFetch(new Request(API));
    expect(response.status).toBe(401);
    expect(getAccessToken()).toBeNull();
  });

  it("resends the request body on the retry", async () => {
    setAccessToken("stale");
    const bodies: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        if (urlOf(input) === REFRESH) return json({ access_token: "fresh", expires_in: 900 });
        const request = input as Request;
        bodies.push(await request.text());
        return request.headers.get("Authorization") === "Bearer fresh"
          ? json({ id: "1" }, 201)
          : json({ status: 401, title: "x", detail: "x", type: "x" }, 401);
      }),
    );
    const response = await authFetch(
      new Request(API, { method: "POST", body: JSON.stringify({ title: "Write" }) }),
    );
    expect(response.status).toBe(201);
    expect(bodies).toEqual(['{"title":"Write"}', '{"title":"Write"}']);
  });

  it("does not refresh for the login call itself", async () => {
    const fetchMock = stubServer();
    const response = await authFetch(
      new Request(`${location.origin}/api/v1/auth/login`, { method: "POST", body: "{}" }),
    );
    expect(response.status).toBe(401);
    expect(refreshCalls).toBe(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("shares one refresh between callers on load", async () => {
    stubServer();
    const [a, b, c] = await Promise.all([refreshAccessToken(), refreshAccessToken(), refreshAccessToken()]);
    expect([a, b, c]).toEqual(["fresh", "fresh", "fresh"]);
    expect(refreshCalls).toBe(1);
  });

  it("takes the tab lock around the refresh when Web Locks exist", async () => {
    stubServer();
    const request = vi.fn((_name: string, fn: () => Promise<unknown>) => fn());
    vi.stubGlobal("navigator", { locks: { request } });
    await refreshAccessToken();
    expect(request).toHaveBeenCalledWith("tasklane-auth-refresh", expect.any(Function));
  });

  it("lets go of the body of a refused refresh", async () => {
    let cancelled = false;
    const body = new ReadableStream({
      cancel() {
        cancelled = true;
      },
    });
    vi.stubGlobal(
      "fetch",
      vi.fn(() =>
        Promise.resolve(
          new Response(body, { status: 401, headers: { "Content-Type": "application/problem+json" } }),
        ),
      ),
    );
    expect(await refreshAccessToken()).toBeNull();
    expect(cancelled).toBe(true);
  });
});
