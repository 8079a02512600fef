import { useId, useMemo, useState } from "react";
import { browserZoneName, searchZones } from "../../../lib/zones";

/**
 * A searchable time-zone picker over current IANA names (old names a browser reports, like
 * Asia/Calcutta, are found and mapped to the current ones), the browser's zone first.
 */
export function ZonePicker({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (zone: string) => void;
  error?: string | undefined;
}) {
  const ids = useId();
  const [query, setQuery] = useState("");
  const browser = browserZoneName();
  const zones = useMemo(() => searchZones(query, browser), [query, browser]);
  const shown = zones.some((z) => z.name === value) || query ? zones : [{ name: value, label: value, words: "" }, ...zones];
  return (
    <div className="space-y-2">
      <label htmlFor={`${ids}-search`} className="block text-sm font-medium">
        Time zone
      </label>
      <input
        id={`${ids}-search`}
        type="search"
        className="input"
        placeholder="Search by city, country or zone"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        aria-controls={`${ids}-list`}
        aria-describedby={`${ids}-current`}
      />
      <select
        id={`${ids}-list`}
        aria-label="Time zones found"
        size={6}
        className="input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        {shown.map((z) => (
          <option key={z.name} value={z.name}>
            {z.name === browser ? `${z.label} · this device` : z.label}
          </option>
        ))}
      </select>
      {zones.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No time zone matches “{query}”.</p>}
      <p id={`${ids}-current`} className="flex flex-wrap items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
        <span>
          Dates are shown and entered in <strong className="text-slate-900 dark:text-slate-100">{value}</strong>.
        </span>
        {value !== browser && (
          <button type="button" className="btn-secondary px-2 py-1" onClick={() => onChange(browser)}>
            Use this device’s zone ({browser})
          </button>
        )}
      </p>
      {error && <p className="text-sm text-rose-700 dark:text-rose-300">{error}</p>}
    </div>
  );
}

