import { useEffect, useId, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useDebounced } from "../../../lib/hooks";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../../../lib/format";
import { filtersToParams, hasFilters, parseFilters, SORTS, type Sort, type TaskFilters } from "../filters";

export const SEARCH_DEBOUNCE_MS = 300;

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

/** The tasks view's search, filters and sort, all read from and written to the URL. */
export function FiltersBar({ searchId }: { searchId: string }) {
  const ids = useId();
  const [params, setParams] = useSearchParams();
  const filters = parseFilters(params);
  const [q, setQ] = useState(filters.q);
  const debouncedQ = useDebounced(q, SEARCH_DEBOUNCE_MS);
  const searchRef = useRef<HTMLInputElement>(null);
  const focusSearch = params.get("focus") === "search";

  const set = (patch: Partial<TaskFilters>) => {
    setParams(filtersToParams({ ...parseFilters(params), ...patch }), { replace: true });
  };

  // The search box writes to the URL after the user pauses typing (only when the debounced
  // text itself changed: other URL changes must not bring back an old search).
  const lastQ = useRef(debouncedQ);
  useEffect(() => {
    if (lastQ.current === debouncedQ) return;
    lastQ.current = debouncedQ;
    setParams(
      (current) => {
        const next = parseFilters(current);
        if (next.q === debouncedQ.trim()) return current;
        return filtersToParams({ ...next, q: debouncedQ });
      },
      { replace: true },
    );
  }, [debouncedQ, setParams]);

  useEffect(() => {
    if (focusSearch) searchRef.current?.focus();
  }, [focusSearch]);

  return (
    <div className="card space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row">
        <div className="flex-1">
          <label htmlFor={searchId} className="sr-only">
            Search tasks
          </label>
          <input
            ref={searchRef}
            id={searchId}
            type="search"
            className="input"
            placeholder="Search tasks  ( / )"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <div className="sm:w-56">
          <label htmlFor={`${ids}-sort`} className="sr-only">
            Sort
          </label>
          <select
            id={`${ids}-sort`}
            className="input"
            value={filters.sort}
            onChange={(e) => set({ sort: e.target.value as Sort })}
          >
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="flex flex-wrap items-end gap-x-5 gap-y-3 text-sm">
        <fieldset>
          <legend className="mb-1 font-medium">Status</legend>
          <div className="flex flex-wrap gap-1">
            {STATUSES.map((s) => (
              <button
                key={s}
                type="button"
                aria-pressed={filters.status.includes(s)}
                onClick={() => set({ status: toggle(filters.status, s) })}
                className="rounded-full border border-slate-300 px-3 py-1 aria-pressed:border-indigo-700 aria-pressed:bg-indigo-700 aria-pressed:text-white dark:border-slate-600 dark:aria-pressed:bg-indigo-400 dark:aria-pressed:text-slate-950"
              >
                {STATUS_LABEL[s]}
              </button>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend className="mb-1 font-medium">Priority</legend>
          <div className="flex flex-wrap gap-1">
            {PRIORITIES.map((p) => (
              <button
                key={p}
                type="button"
                aria-pressed={filters.priority.includes(p)}
                onClick={() => set({ priority: toggle(filters.priority, p) })}
                className="rounded-full border border-slate-300 px-3 py-1 aria-pressed:border-indigo-700 aria-pressed:bg-indigo-700 aria-pressed:text-white dark:border-slate-600 dark:aria-pressed:bg-indigo-400 dark:aria-pressed:text-slate-950"
              >
                {PRIORITY_LABEL[p]}
              </button>
            ))}
          </div>
        </fieldset>
        <div className="w-32">
          <label htmlFor={`${ids}-tag`} className="mb-1 block font-medium">
            Tag
          </label>
          <input
            id={`${ids}-tag`}
            className="input"
            defaultValue={filters.tag}
            key={filters.tag}
            onBlur={(e) => set({ tag: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === "Enter") set({ tag: e.currentTarget.value });
            }}
          />
        </div>
        <div>
          <label htmlFor={`${ids}-from`} className="mb-1 block font-medium">
            Due from
          </label>
          <input
            id={`${ids}-from`}
            type="date"
            className="input"
            value={filters.dueFrom}
            onChange={(e) => set({ dueFrom: e.target.value })}
          />
        </div>
        <div>
          <label htmlFor={`${ids}-to`} className="mb-1 block font-medium">
            Due to
          </label>
          <input
            id={`${ids}-to`}
            type="date"
            className="input"
            value={filters.dueTo}
            onChange={(e) => set({ dueTo: e.target.value })}
          />
        </div>
        <label className="flex items-center gap-2 py-2">
          <input
            type="checkbox"
            className="size-4"
            checked={filters.overdue}
            onChange={(e) => set({ overdue: e.target.checked })}
          />
          Overdue only
        </label>
        {hasFilters(filters) && (
          <button
            type="button"
            className="btn-secondary"
            onClick={() => {
              setQ("");
              setParams(filtersToParams({ ...parseFilters(new URLSearchParams()), sort: filters.sort, project: filters.project, mine: filters.mine }), {
                replace: true,
              });
            }}
          >
            Clear filters
          </button>
        )}
      </div>
    </div>
  );
}
