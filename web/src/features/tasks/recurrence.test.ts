import { describe, expect, it } from "vitest";
import { buildRule, describeRule, parseRule, weekdayNumber, weekdayOf } from "./recurrence";

describe("describeRule", () => {
  it.each([
    ["FREQ=DAILY", "Every day"],
    ["FREQ=DAILY;INTERVAL=3", "Every 3 days"],
    ["FREQ=WEEKLY", "Every week"],
    ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"],
    ["FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", "Every 2 weeks on Mon and Wed"],
    ["FREQ=WEEKLY;BYDAY=SU", "Every week on Sun"],
    ["FREQ=MONTHLY;BYMONTHDAY=15", "Every month on day 15"],
    ["FREQ=MONTHLY;BYDAY=-1FR", "Every month on the last Friday"],
    ["FREQ=MONTHLY;BYDAY=2TU;COUNT=6", "Every month on the second Tuesday, 6 times"],
    ["FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "Every year on the fourth Thursday in Nov"],
    ["FREQ=DAILY;UNTIL=20261231T225959Z", "Every day, until 31 Dec 2026"],
    ["FREQ=HOURLY", "Repeats (FREQ=HOURLY)"],
  ])("%s", (rule, text) => {
    expect(describeRule(rule)).toBe(text);
  });
});

describe("parseRule and buildRule", () => {
  it("round-trips the API's canonical rules", () => {
    for (const rule of [
      "FREQ=DAILY",
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
      "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
      "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;UNTIL=20301231",
    ]) {
      const parts = parseRule(rule);
      expect(parts).not.toBeNull();
      if (parts) expect(buildRule(parts)).toBe(rule);
    }
  });

  it("does not read what it does not know", () => {
    expect(parseRule("FREQ=MINUTELY")).toBeNull();
    expect(parseRule("FREQ=DAILY;BYHOUR=9")).toBeNull();
    expect(parseRule("INTERVAL=2")).toBeNull();
  });
});

describe("weekdays of days", () => {
  it("names the weekday and its number in the month", () => {
    expect(weekdayOf("2026-12-03")).toBe("TH");
    expect(weekdayOf("2026-12-06")).toBe("SU");
    expect(weekdayNumber("2026-12-08")).toBe(2); // the second Tuesday
    expect(weekdayNumber("2026-12-25")).toBe(-1); // the last Friday
  });
});
