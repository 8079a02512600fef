import { describe, expect, it } from "vitest";

import { ApiError, describeError, waitFor } from "./problem";

describe("how long to wait, as people say it", () => {
  it.each([
    [1, "1 second"],
    [30, "30 seconds"],
    [59, "59 seconds"],
    [60, "1 minute"],
    [61, "2 minutes"],
    [540, "9 minutes"],
    [899, "15 minutes"],
    [7140, "119 minutes"],
    [7200, "2 hours"],
    [86400, "24 hours"],
  ])("%i s reads %s", (seconds, words) => {
    expect(waitFor(seconds)).toBe(words);
  });

  it("a locked-out login names the minutes", () => {
    const error = new ApiError(
      { type: "urn:tasklane:problem:too-many-requests", title: "Too many requests", status: 429, detail: "Slow down." },
      540,
    );
    expect(describeError(error)).toBe("Too many attempts. Try again in 9 minutes.");
  });
});
