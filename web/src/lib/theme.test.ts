import { afterEach, describe, expect, it, vi } from "vitest";
import { applyTheme, followSystemTheme } from "./theme";

/** A stand-in for the system's colour-scheme query, whose answer the test changes. */
function fakeSystem(dark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, f: () => void) => listeners.add(f),
    removeEventListener: (_: string, f: () => void) => listeners.delete(f),
  };
  vi.stubGlobal("matchMedia", () => query);
  return {
    set(next: boolean) {
      dark = next;
      for (const f of listeners) f();
    },
    listeners,
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe("the system theme", () => {
  it("follows the system when it turns dark and back, without a reload", () => {
    const system = fakeSystem(false);
    applyTheme("system");
    const stop = followSystemTheme();
    expect(document.documentElement).not.toHaveClass("dark");
    system.set(true);
    expect(document.documentElement).toHaveClass("dark");
    expect(document.documentElement.style.colorScheme).toBe("dark");
    system.set(false);
    expect(document.documentElement).not.toHaveClass("dark");
    stop();
    expect(system.listeners.size).toBe(0);
  });

  it("leaves a chosen light or dark theme alone when the system changes", () => {
    const system = fakeSystem(false);
    applyTheme("light");
    const stop = followSystemTheme();
    system.set(true);
    expect(document.documentElement).not.toHaveClass("dark");
    stop();
  });
});
