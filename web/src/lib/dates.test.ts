// The formatting rules of dates, in the profile's zone while the browser runs in another one.
declare const process: { env: Record<string, string | undefined> };
process.env.TZ = "America/Los_Angeles";

import { describe, expect, it } from "vitest";
import {
  addDays,
  appLocale,
  dayOf,
  daysBetween,
  formatDay,
  formatDue,
  fromZonedInput,
  startOfDay,
  toZonedInput,
} from "./dates";

const TODAY = "2026-12-03"; // a Thursday

describe("days as people say them", () => {
  it.each([
    ["2026-12-03", "Today"],
    ["2026-12-04", "Tomorrow"],
    ["2026-12-02", "Yesterday"],
    ["2026-12-05", "Saturday"],
    ["2026-12-09", "Wednesday"],
    ["2026-11-30", "Last Monday"],
    ["2026-12-10", "Thu 10 December"],
    ["2026-11-26", "Thu 26 November"],
    ["2027-01-05", "Tue, 5 January 2027"],
    ["2025-12-03", "Wed, 3 December 2025"],
  ])("%s is %s", (day, said) => {
    expect(formatDay(day, TODAY, "en-GB")).toBe(said);
  });

  it("abbreviates for rows and cards", () => {
    expect(formatDay("2026-12-05", TODAY, "en-GB", { short: true })).toBe("Sat");
    expect(formatDay("2026-12-24", TODAY, "en-GB", { short: true })).toBe("24 Dec");
    expect(formatDay("2027-02-01", TODAY, "en-GB", { short: true })).toBe("1 Feb 2027");
  });

  it("follows the locale for the order and the clock, not for the language", () => {
    expect(formatDay("2026-12-24", TODAY, "en-US", { short: true })).toBe("Dec 24");
    const now = new Date("2026-12-03T12:00:00Z");
    expect(formatDue("2026-12-04T17:30:00Z", { zone: "UTC", locale: "en-US", now })).toBe("Tomorrow 5:30 PM");
    expect(formatDue("2026-12-04T17:30:00Z", { zone: "UTC", locale: "en-GB", now })).toBe("Tomorrow 17:30");
  });

  it("takes an English locale from the browser, British English otherwise", () => {
    expect(appLocale(["en-US", "de-DE"])).toBe("en-US");
    expect(appLocale(["de-DE", "en-AU"])).toBe("en-AU");
    expect(appLocale(["de-DE"])).toBe("en-GB");
    expect(appLocale([])).toBe("en-GB");
  });
});

describe("one clock: the profile's zone, not the browser's", () => {
  // 23:30 UTC on 3 December: already the 4th in Berlin, still the 3rd in Los Angeles.
  const late = new Date("2026-12-03T23:30:00Z");

  it("puts an instant on the profile zone's day", () => {
    expect(dayOf(late, "Europe/Berlin")).toBe("2026-12-04");
    expect(dayOf(late, "America/Los_Angeles")).toBe("2026-12-03");
    expect(dayOf(late, "Asia/Kolkata")).toBe("2026-12-04");
  });

  it("says a task due at 00:30 tomorrow is due tomorrow, whatever the browser's zone", () => {
    const now = new Date("2026-12-03T20:00:00Z"); // 21:00 in Berlin
    const due = "2026-12-03T23:30:00Z"; // 00:30 on the 4th in Berlin
    expect(formatDue(due, { zone: "Europe/Berlin", locale: "en-GB", now })).toBe("Tomorrow 00:30");
    expect(formatDue(due, { zone: "America/Los_Angeles", locale: "en-GB", now })).toBe("Today 15:30");
  });

  it("starts days at the zone's midnight, DST days included", () => {
    expect(startOfDay("2026-12-04", "Europe/Berlin").toISOString()).toBe("2026-12-03T23:00:00.000Z");
    expect(startOfDay("2026-12-04", "Asia/Kolkata").toISOString()).toBe("2026-12-03T18:30:00.000Z");
    expect(startOfDay("2026-03-29", "Europe/Berlin").toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(startOfDay("2026-03-30", "Europe/Berlin").toISOString()).toBe("2026-03-29T22:00:00.000Z");
  });

  it("counts calendar days across months and years", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysBetween("2026-12-30", "2027-01-02")).toBe(3);
  });

  it("fills and reads the due input in the profile's zone", () => {
    expect(toZonedInput("2026-12-03T23:30:00Z", "Europe/Berlin")).toBe("2026-12-04T00:30");
    expect(toZonedInput("2026-12-03T23:30:00Z", "Asia/Kolkata")).toBe("2026-12-04T05:00");
    expect(fromZonedInput("2026-12-04T00:30", "Europe/Berlin")).toBe("2026-12-03T23:30:00.000Z");
    expect(fromZonedInput("2026-07-01T09:00", "Europe/Berlin")).toBe("2026-07-01T07:00:00.000Z");
    expect(fromZonedInput("", "Europe/Berlin")).toBeNull();
  });
});
