import { rawTimeZones } from "@vvo/tzdb";
import { browserZone } from "./dates";

/**
 * Time zones by their current IANA names, from @vvo/tzdb (kept in step with the tz database).
 * Browsers still report old names (Asia/Calcutta, Europe/Kiev): every name of a group maps to
 * the group's current one. Only the settings and sign-up screens load this (~25 KB).
 */
export interface Zone {
  name: string;
  /** What a search matches besides the name: country, cities, the zone's common name, old names. */
  words: string;
  label: string;
}

const UTC_NAMES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"]);

const CURRENT = new Map<string, string>();
for (const zone of rawTimeZones) for (const name of zone.group) CURRENT.set(name, zone.name);

/** The current IANA name of a zone ("Asia/Calcutta" → "Asia/Kolkata"); unknown names are kept. */
export function currentZoneName(name: string): string {
  if (UTC_NAMES.has(name)) return "UTC";
  return CURRENT.get(name) ?? name;
}

/** The browser's zone by its current name. */
export function browserZoneName(): string {
  return currentZoneName(browserZone());
}

function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Every zone, sorted by offset then name, with UTC. */
export const ZONES: Zone[] = [
  { name: "UTC", words: "utc gmt coordinated universal time", label: "UTC" },
  ...[...rawTimeZones]
    .sort((a, b) => a.rawOffsetInMinutes - b.rawOffsetInMinutes || a.name.localeCompare(b.name))
    .map((z) => ({
      name: z.name,
      words: [z.name, z.alternativeName, z.countryName, ...z.mainCities, ...z.group]
        .join(" ")
        .replaceAll("_", " ")
        .toLowerCase(),
      label: `${z.name.replaceAll("_", " ")} — ${z.mainCities.slice(0, 2).join(", ")}, ${z.countryName} (${offsetLabel(z.rawOffsetInMinutes)})`,
    })),
];

const fold = (text: string) =>
  text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replaceAll("_", " ")
    .toLowerCase();

/**
 * The zones a search finds (every word must appear in the zone's name, country, cities or old
 * names; accents ignored), the browser's zone first.
 */
export function searchZones(query: string, browser: string = browserZoneName()): Zone[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const found = ZONES.filter((z) => {
    const hay = fold(z.words);
    return words.every((w) => hay.includes(w));
  });
  const own = found.findIndex((z) => z.name === browser);
  if (own > 0) found.unshift(...found.splice(own, 1));
  return found;
}
