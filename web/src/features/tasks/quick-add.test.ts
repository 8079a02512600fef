// Quick add, read in the profile's zone while the browser runs in another one (Los Angeles):
// the due instants below must not depend on the browser's clock.
declare const process: { env: Record<string, string | undefined> };
process.env.TZ = "America/Los_Angeles";

import { describe, expect, it } from "vitest";
import { parseQuickAdd } from "./quick-add";

// Thursday 26 March 2026, 10:00 UTC: 11:00 in Berlin (CET, DST starts on Sunday the 29th),
// 15:30 in Kolkata, 03:00 in Los Angeles, 21:00 on Thursday in Sydney.
const NOW = new Date("2026-03-26T10:00:00Z");

const read = (text: string, zone = "Europe/Berlin", literal: string[] = []) =>
  parseQuickAdd(text, { zone, now: NOW, literal: new Set(literal) });

describe("the browser runs in another zone than the profile", () => {
  it("is set up that way", () => {
    expect(new Date(NOW).getTimezoneOffset()).toBe(420); // Los Angeles, PDT
  });
});

/** A "yyyy-mm-dd" due is a date-only task (a day named without a time); else an instant. */
function expectDue(parsed: { due_at: string | null; due_date: string | null }, due: string | null) {
  const dateOnly = due !== null && /^\d{4}-\d{2}-\d{2}$/.test(due);
  expect(parsed.due_date).toBe(dateOnly ? due : null);
  expect(parsed.due_at).toBe(dateOnly ? null : due);
}

// [text, zone, title, due_at (UTC), a due date ("yyyy-mm-dd": no time named), or null]
const DATES: [string, string, string, string | null][] = [
  ["Call mum tomorrow 9am", "Europe/Berlin", "Call mum", "2026-03-27T08:00:00.000Z"],
  ["Call mum tomorrow 9am", "Asia/Kolkata", "Call mum", "2026-03-27T03:30:00.000Z"],
  ["Call mum tomorrow 9am", "America/New_York", "Call mum", "2026-03-27T13:00:00.000Z"],
  ["Call mum tomorrow 9am", "Australia/Sydney", "Call mum", "2026-03-26T22:00:00.000Z"],
  ["Call mum tomorrow 9am", "UTC", "Call mum", "2026-03-27T09:00:00.000Z"],
  ["Pay rent today at 5pm", "Europe/Berlin", "Pay rent", "2026-03-26T16:00:00.000Z"],
  ["Pay rent today 17:00", "Asia/Kolkata", "Pay rent", "2026-03-26T11:30:00.000Z"],
  ["Pay rent today 10pm", "Australia/Sydney", "Pay rent", "2026-03-26T11:00:00.000Z"],
  ["Water plants tonight", "Europe/Berlin", "Water plants", "2026-03-26T21:00:00.000Z"],
  // A day without a time is a date-only task, on that day of the profile's zone.
  ["Submit report friday", "Europe/Berlin", "Submit report", "2026-03-27"],
  ["Submit report by friday", "Europe/Berlin", "Submit report", "2026-03-27"],
  ["Submit report due tomorrow", "Asia/Kolkata", "Submit report", "2026-03-27"],
  ["Submit report on Friday", "Asia/Kolkata", "Submit report", "2026-03-27"],
  // Across the DST change: Monday 09:00 in Berlin is 07:00 UTC (CEST), not 08:00.
  ["Team meeting next monday 9am", "Europe/Berlin", "Team meeting", "2026-03-30T07:00:00.000Z"],
  ["Team meeting monday at 9:30", "Europe/Berlin", "Team meeting", "2026-03-30T07:30:00.000Z"],
  ["Dentist on April 3 at 14:15", "Europe/Berlin", "Dentist", "2026-04-03T12:15:00.000Z"],
  ["Dentist 3 April 2:15pm", "Asia/Kolkata", "Dentist", "2026-04-03T08:45:00.000Z"],
  ["Renew passport 2026-05-10", "UTC", "Renew passport", "2026-05-10"],
  ["Renew passport May 10th", "Europe/Berlin", "Renew passport", "2026-05-10"],
  ["File taxes on 31 July 2027", "Europe/Berlin", "File taxes", "2027-07-31"],
  // forwardDate: a month already past this year means next year.
  ["Buy a gift January 5", "Europe/Berlin", "Buy a gift", "2027-01-05"],
  ["Stretch in 2 hours", "Asia/Kolkata", "Stretch", "2026-03-26T12:00:00.000Z"],
  ["Stretch in 30 minutes", "Europe/Berlin", "Stretch", "2026-03-26T10:30:00.000Z"],
  ["Check the oven in 1 hour", "America/New_York", "Check the oven", "2026-03-26T11:00:00.000Z"],
  ["Book flights in 3 days", "Europe/Berlin", "Book flights", "2026-03-29"],
  ["Plan holiday next week", "UTC", "Plan holiday", "2026-04-02"],
  ["Standup at noon", "Europe/Berlin", "Standup", "2026-03-26T11:00:00.000Z"],
  ["Call the bank at 4pm", "America/New_York", "Call the bank", "2026-03-26T20:00:00.000Z"],
  // 12:30 has passed in Kolkata (15:30 there): the next 12:30 is tomorrow's. In Los Angeles,
  // where the browser runs, it would still be today.
  ["Lunch with Sam 12:30", "Asia/Kolkata", "Lunch with Sam", "2026-03-27T07:00:00.000Z"],
  ["Lunch with Sam 12:30", "America/Los_Angeles", "Lunch with Sam", "2026-03-26T19:30:00.000Z"],
  ["Water plants this evening", "Europe/Berlin", "Water plants", "2026-03-26T19:00:00.000Z"],
  ["Webinar tomorrow 5pm UTC", "Asia/Kolkata", "Webinar", "2026-03-27T17:00:00.000Z"],
  ["Buy milk", "Europe/Berlin", "Buy milk", null],
  ["Buy 2 apples", "Europe/Berlin", "Buy 2 apples", null],
  ["Read chapter 12", "Europe/Berlin", "Read chapter 12", null],
];

describe("dates", () => {
  it.each(DATES)("%s (%s)", (text, zone, title, due) => {
    const parsed = read(text, zone);
    expect(parsed.title).toBe(title);
    expectDue(parsed, due);
  });

  it("knows whether a time was named", () => {
    expect(read("Call mum tomorrow 9am").dueHasTime).toBe(true);
    expect(read("Call mum tomorrow").dueHasTime).toBe(false);
  });

  it("reads a recurrence and is due at its first occurrence", () => {
    const parsed = read("Call mum tomorrow 9am !high #family every sunday");
    expect(parsed.title).toBe("Call mum");
    expect(parsed.recurrence).toBe("FREQ=WEEKLY;BYDAY=SU");
    // Tomorrow is a Friday: the first Sunday from then, at 9:00 (CEST from the 29th).
    expect(parsed.due_at).toBe("2026-03-29T07:00:00.000Z");
    expect(parsed.priority).toBe("high");
    expect(parsed.tags).toEqual(["family"]);
  });
});

// [text, zone, title, rule, due_at (UTC) or due date]; now: Thursday 26 March 2026, 11:00 in Berlin.
const RECURRING: [string, string, string, string, string][] = [
  ["Stretch every day", "Europe/Berlin", "Stretch", "FREQ=DAILY", "2026-03-26"],
  ["Stretch every day at 9am", "Europe/Berlin", "Stretch", "FREQ=DAILY", "2026-03-27T08:00:00.000Z"],
  ["Stretch every day at 9pm", "Asia/Kolkata", "Stretch", "FREQ=DAILY", "2026-03-26T15:30:00.000Z"],
  ["Water plants every sunday", "Europe/Berlin", "Water plants", "FREQ=WEEKLY;BYDAY=SU", "2026-03-29"],
  ["Call mum every Sunday 10am", "Europe/Berlin", "Call mum", "FREQ=WEEKLY;BYDAY=SU", "2026-03-29T08:00:00.000Z"],
  ["Call mum every sunday 10am", "America/New_York", "Call mum", "FREQ=WEEKLY;BYDAY=SU", "2026-03-29T14:00:00.000Z"],
  ["Gym every mon and thu at 7am", "Europe/Berlin", "Gym", "FREQ=WEEKLY;BYDAY=MO,TH", "2026-03-30T05:00:00.000Z"],
  ["Gym every thu, mon at 7pm", "Europe/Berlin", "Gym", "FREQ=WEEKLY;BYDAY=MO,TH", "2026-03-26T18:00:00.000Z"],
  ["Standup every weekday", "Europe/Berlin", "Standup", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-03-26"],
  ["Standup every workday", "UTC", "Standup", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-03-26"],
  ["Bins out every weekend", "Europe/Berlin", "Bins out", "FREQ=WEEKLY;BYDAY=SA,SU", "2026-03-28"],
  ["Review every 2 weeks", "Europe/Berlin", "Review", "FREQ=WEEKLY;INTERVAL=2", "2026-03-26"],
  ["Review every week", "Europe/Berlin", "Review", "FREQ=WEEKLY", "2026-03-26"],
  ["Plants every other day", "Europe/Berlin", "Plants", "FREQ=DAILY;INTERVAL=2", "2026-03-26"],
  ["Pay rent every month", "Europe/Berlin", "Pay rent", "FREQ=MONTHLY", "2026-03-26"],
  ["Backups every 3 months", "UTC", "Backups", "FREQ=MONTHLY;INTERVAL=3", "2026-03-26"],
  ["Renew insurance every year", "Europe/Berlin", "Renew insurance", "FREQ=YEARLY", "2026-03-26"],
  ["Pay rent every month friday", "Europe/Berlin", "Pay rent", "FREQ=MONTHLY", "2026-03-27"],
];

describe("recurrence", () => {
  it.each(RECURRING)("%s (%s)", (text, zone, title, rule, due) => {
    const parsed = read(text, zone);
    expect(parsed.title).toBe(title);
    expect(parsed.recurrence).toBe(rule);
    expectDue(parsed, due);
  });

  it("marks the recurrence in the text like the other parts", () => {
    const text = "Call mum every sunday 10am #family";
    const parsed = read(text);
    expect(parsed.tokens.map((t) => [t.kind, text.slice(t.start, t.end)])).toEqual([
      ["recurrence", "every sunday"],
      ["due", "10am"],
      ["tag", "#family"],
    ]);
  });

  it("keeps a recurrence as words when asked, and its day with it", () => {
    const kept = read("Call mum every sunday", "Europe/Berlin", ["recurrence:every sunday"]);
    expect(kept.title).toBe("Call mum every sunday");
    expect(kept.recurrence).toBeNull();
    expect(kept.due_at).toBeNull();
  });

  it("leaves words that only look like one alone", () => {
    for (const text of ["Everyday carry", "Read every book", "Buy every 2 apples"]) {
      expect(read(text).recurrence).toBeNull();
      expect(read(text).title).toBe(text);
    }
  });
});

describe("priority and tags", () => {
  it.each([
    ["Fix the leak !urgent", "urgent"],
    ["Fix the leak !high", "high"],
    ["Fix the leak !medium", "medium"],
    ["Fix the leak !low", "low"],
    ["Fix the leak !HIGH", "high"],
    ["Fix the leak !1", "urgent"],
    ["Fix the leak !4", "low"],
  ] as const)("%s", (text, priority) => {
    const parsed = read(text);
    expect(parsed.priority).toBe(priority);
    expect(parsed.title).toBe("Fix the leak");
  });

  it("leaves an exclamation that is no priority alone", () => {
    expect(read("Win the match!").title).toBe("Win the match!");
    expect(read("Win the match!").priority).toBeNull();
    expect(read("Say !hello").title).toBe("Say !hello");
  });

  it("reads tags in the API's alphabet, lower case, once each", () => {
    const parsed = read("Pack #Home #travel/europe #home for the trip");
    expect(parsed.tags).toEqual(["home", "travel/europe"]);
    expect(parsed.title).toBe("Pack for the trip");
  });

  it("does not take a full stop into a tag", () => {
    expect(read("Clean the garage #home.").tags).toEqual(["home"]);
  });

  it("reads accented and non-Latin tags", () => {
    expect(read("Réserver #café #日本").tags).toEqual(["café", "日本"]);
  });

  it("leaves a hash inside a word alone", () => {
    const parsed = read("Fix issue C#7 today at 3pm");
    expect(parsed.tags).toEqual([]);
    expect(parsed.title).toBe("Fix issue C#7");
  });

  it("ignores a tag too long for the API", () => {
    const long = `#${"x".repeat(33)}`;
    expect(read(`Note ${long}`).tags).toEqual([]);
  });

  it("reads everything at once, in any order", () => {
    const parsed = read("#work !urgent Send the invoice friday 10am");
    expect(parsed).toMatchObject({
      title: "Send the invoice",
      priority: "urgent",
      tags: ["work"],
      due_at: "2026-03-27T09:00:00.000Z",
    });
    expect(parsed.tokens.map((t) => t.kind)).toEqual(["tag", "priority", "due"]);
  });
});

describe("keeping words literal", () => {
  it("keeps a date as words when asked", () => {
    const first = read("Read Tomorrow Never Dies");
    const due = first.tokens.find((t) => t.kind === "due");
    expect(due?.text).toBe("Tomorrow");
    const kept = read("Read Tomorrow Never Dies", "Europe/Berlin", [due?.key ?? ""]);
    expect(kept.title).toBe("Read Tomorrow Never Dies");
    expect(kept.due_at).toBeNull();
  });

  it("keeps a priority and a tag as words when asked", () => {
    const parsed = read("Learn C# !high #1", "Europe/Berlin", ["priority:!high", "tag:#1"]);
    expect(parsed.title).toBe("Learn C# !high #1");
    expect(parsed.priority).toBeNull();
    expect(parsed.tags).toEqual([]);
  });

  it("marks where each part is in the text", () => {
    const text = "Call mum tomorrow 9am !high";
    const parsed = read(text);
    expect(parsed.tokens.map((t) => text.slice(t.start, t.end))).toEqual(["tomorrow 9am", "!high"]);
  });

  it("takes a connector with the date", () => {
    const text = "Submit report by friday";
    const [due] = read(text).tokens;
    expect(text.slice(due?.start, due?.end)).toBe("by friday");
  });
});
