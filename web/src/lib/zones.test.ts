import { describe, expect, it } from "vitest";
import { currentZoneName, searchZones, ZONES } from "./zones";

describe("time zones by their current names", () => {
  it.each([
    ["Asia/Calcutta", "Asia/Kolkata"],
    ["Europe/Kiev", "Europe/Kyiv"],
    ["Asia/Saigon", "Asia/Ho_Chi_Minh"],
    ["America/Godthab", "America/Nuuk"],
    ["Etc/UTC", "UTC"],
    ["Europe/Berlin", "Europe/Berlin"],
  ])("%s is %s", (old, current) => {
    expect(currentZoneName(old)).toBe(current);
  });

  it("lists current names only", () => {
    const names = ZONES.map((z) => z.name);
    expect(names).toContain("Asia/Kolkata");
    expect(names).toContain("Europe/Kyiv");
    expect(names).not.toContain("Asia/Calcutta");
    expect(names).not.toContain("Europe/Kiev");
  });

  it("finds zones by city, country or old name, accents ignored, the browser's first", () => {
    expect(searchZones("mumbai")[0]?.name).toBe("Asia/Kolkata");
    expect(searchZones("calcutta")[0]?.name).toBe("Asia/Kolkata");
    expect(searchZones("kiev").map((z) => z.name)).toContain("Europe/Kyiv");
    expect(searchZones("sao paulo").map((z) => z.name)).toContain("America/Sao_Paulo");
    expect(searchZones("", "Europe/Kyiv")[0]?.name).toBe("Europe/Kyiv");
    expect(searchZones("europe", "Europe/Kyiv")[0]?.name).toBe("Europe/Kyiv");
  });
});
