import { useEffect, useMemo, useState } from "react";
import { useAuth } from "../auth/auth-context";
import { appLocale, browserZone, chooseLocale, dayOf, msUntilTomorrow } from "./dates";

export interface Clock {
  /** The profile's time zone (the browser's until the profile has loaded). */
  zone: string;
  locale: string;
  /** Today in the profile's zone, "yyyy-mm-dd"; changes at the zone's midnight. */
  today: string;
  /** Whether the profile (and so its zone) has loaded: day bounds wait for it. */
  ready: boolean;
}

/** The one clock every screen reads dates with. */
export function useClock(): Clock {
  const { user } = useAuth();
  const zone = user?.timezone ?? browserZone();
  // The moment "today" was last worked out: again at the zone's next midnight.
  const [now, setNow] = useState(() => Date.now());
  const today = dayOf(now, zone);
  useEffect(() => {
    // At most an hour at a time: a laptop waking from sleep catches up within the hour.
    const timer = setTimeout(() => setNow(Date.now()), Math.min(msUntilTomorrow(zone, new Date(now)) + 1000, 3_600_000));
    return () => clearTimeout(timer);
  }, [zone, now]);
  const ready = user !== undefined;
  // One locale for every date: the profile's choice, else the browser's English.
  // (A profile from an older cache, or a test's, may lack its preferences.)
  const preferences = user?.preferences;
  const chosen = preferences?.locale;
  chooseLocale(chosen);
  const locale = appLocale();
  return useMemo(() => ({ zone, locale, today, ready }), [zone, locale, today, ready]);
}
