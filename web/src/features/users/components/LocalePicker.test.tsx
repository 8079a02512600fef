import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { chooseLocale } from "../../../lib/dates";
import { json } from "../../../test/render";
import { makeTask, renderScreen, testUser } from "../../../test/app-harness";
import { DueText } from "../../tasks/components/TaskRow";
import { LocalePicker } from "./LocalePicker";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  chooseLocale(null);
});

const withLocale = (locale: string) => ({ ...testUser, preferences: { ...testUser.preferences, locale } }) as User;

describe("the date locale", () => {
  it("is chosen in settings and saved with the account", async () => {
    const { sent } = renderScreen(<LocalePicker user={withLocale("auto")} />, () => json(withLocale("en-US")), {
      user: withLocale("auto"),
    });
    const select = screen.getByLabelText("Dates");
    expect(select).toHaveValue("auto");
    await userEvent.selectOptions(select, "English (United States)");
    await waitFor(() => expect(sent.some((r) => r.method === "PATCH")).toBe(true));
    expect(await sent.find((r) => r.method === "PATCH")?.json()).toEqual({ preferences: { locale: "en-US" } });
  });

  it("writes every date the same way: the chosen locale's, whatever the browser's", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["de-DE", "en-GB"]);
    const task = makeTask("a", { due_at: "2030-07-04T17:30:00Z" });
    const us = renderScreen(<DueText task={task} />, () => json({}), { user: withLocale("en-US") });
    expect(us.container.querySelector("time")?.textContent).toMatch(/^Jul 4,? 2030,? 5:30\sPM$/);
    us.unmount();
    const auto = renderScreen(<DueText task={task} />, () => json({}), { user: withLocale("auto") });
    // "auto": the browser's English variant (en-GB here), not its first language (German).
    expect(auto.container.querySelector("time")?.textContent).toBe("4 Jul 2030 17:30");
  });
});
