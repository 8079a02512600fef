import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { Dialog } from "../../../components/Dialog";
import { useDebounced, useMediaQuery, WIDE } from "../../../lib/hooks";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../../../lib/format";
import { filtersToParams, hasFilters, parseFilters, SORTS, type Sort, type TaskFilters } from "../filters";
import { cleanTag, useKnownTags } from "../known-tags";

export const SEARCH_DEBOUNCE_MS = 300;

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

const LABEL = "mb-1 block text-sm font-medium leading-5";
const CHIP =
  "min-h-11 rounded-full border border-slate-300 px-3 py-1 sm:min-h-[38px] aria-pressed:border-indigo-700 aria-pressed:bg-indigo-700 aria-pressed:text-white dark:border-slate-600 dark:aria-pressed:bg-indigo-400 dark:aria-pressed:text-slate-950";

/** Text the user types that reaches the URL once they pause (only when it itself changed). */
function useTypedParam(key: "q" | "tag", initial: string, clean: (text: string) => string) {
  const [, setParams] = useSearchParams();
  const [text, setText] = useState(initial);
  const debounced = useDebounced(text, SEARCH_DEBOUNCE_MS);
  const last = useRef(debounced);
  useEffect(() => {
    if (last.current === debounced) return;
    last.current = debounced;
    setParams(
      (current) => {
        const next = parseFilters(current);
        if (next[key] === clean(debounced)) return current;
        return filtersToParams({ ...next, [key]: clean(debounced) });
      },
      { replace: true },
    );
  }, [debounced, setParams, key, clean]);
  return [text, setText] as const;
}

const trim = (text: string) => text.trim();

/**
 * The tasks view's search, filters and sort, all read from and written to the URL. On a phone the
 * filters fold into a sheet behind a "Filters" button, so the list starts near the top.
 */
export function FiltersBar({ searchId }: { searchId: string }) {
  const [params] = useSearchParams();
  const filters = parseFilters(params);
  const [q, setQ] = useTypedParam("q", filters.q, trim);
  const [tag, setTag] = useTypedParam("tag", filters.tag, cleanTag);
  const searchRef = useRef<HTMLInputElement>(null);
  const focusSearch = params.get("focus") === "search";
  const wide = useMediaQuery(WIDE);
  const [sheet, setSheet] = useState(false);

  useEffect(() => {
    if (focusSearch) searchRef.current?.focus();
  }, [focusSearch]);

  // The URL changed from elsewhere (a link, Clear filters): the typed tag follows it.
  const [shownTag, setShownTag] = useState(filters.tag);
  if (shownTag !== filters.tag) {
    setShownTag(filters.tag);
    if (cleanTag(tag) !== filters.tag) setTag(filters.tag);
  }

  const active = filtersToParams({ ...filters, q: "", sort: filters.sort, project: "", mine: false });
  const count = [...active.keys()].filter((k) => k !== "sort").length;
  const controls = <FilterControls filters={filters} tag={tag} setTag={setTag} onClear={() => {
    setQ("");
    setTag("");
  }} />;

  return (
    <div className="card space-y-3 p-3 sm:p-4">
      <div className="flex gap-3">
        <div className="min-w-0 flex-1">
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
        {wide ? (
          <SortSelect filters={filters} className="w-56" />
        ) : (
          <button type="button" className="btn-secondary shrink-0" aria-haspopup="dialog" onClick={() => setSheet(true)}>
            Filters{count > 0 && <span className="rounded-full bg-indigo-700 px-1.5 text-xs text-white dark:bg-indigo-400 dark:text-slate-950">{count}</span>}
          </button>
        )}
      </div>
      {wide ? (
        controls
      ) : (
        <Dialog open={sheet} title="Filters and sort" onClose={() => setSheet(false)}>
          <div className="space-y-4">
            <SortSelect filters={filters} />
            {controls}
            <button type="button" className="btn-primary w-full" onClick={() => setSheet(false)}>
              Show tasks
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function SortSelect({ filters, className = "" }: { filters: TaskFilters; className?: string }) {
  const id = useId();
  const [params, setParams] = useSearchParams();
  return (
    <div className={className}>
      <label htmlFor={id} className="sr-only">
        Sort
      </label>
      <select
        id={id}
        className="input"
        value={filters.sort}
        onChange={(e) => setParams(filtersToParams({ ...parseFilters(params), sort: e.target.value as Sort }), { replace: true })}
      >
        {SORTS.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function Group({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="min-w-0" data-filter-group>
      <legend className={LABEL}>{legend}</legend>
      {children}
    </fieldset>
  );
}

interface ControlsProps {
  filters: TaskFilters;
  tag: string;
  setTag: (tag: string) => void;
  onClear: () => void;
}

/** Status, priority, tag, due range and overdue: each with its label on one line above its control. */
function FilterControls({ filters, tag, setTag, onClear }: ControlsProps) {
  const ids = useId();
  const [params, setParams] = useSearchParams();
  const known = useKnownTags();
  const set = (patch: Partial<TaskFilters>) => {
    setParams(filtersToParams({ ...parseFilters(params), ...patch }), { replace: true });
  };
  const tagError = tag && !/^#*[\p{L}\p{N}_][\p{L}\p{N}_ .\-/]*$/u.test(tag.trim()) ? `“${tag.trim()}” is not a tag: tags are letters, digits, spaces or . - / _` : "";

  return (
    <div className="flex flex-col gap-4 text-sm sm:flex-row sm:flex-wrap sm:items-start sm:gap-x-5 sm:gap-y-3">
      <Group legend="Status">
        <div className="flex flex-wrap gap-1">
          {STATUSES.map((s) => (
            <button key={s} type="button" aria-pressed={filters.status.includes(s)} onClick={() => set({ status: toggle(filters.status, s) })} className={CHIP}>
              {STATUS_LABEL[s]}
            </button>
          ))}
        </div>
      </Group>
      <Group legend="Priority">
        <div className="flex flex-wrap gap-1">
          {PRIORITIES.map((p) => (
            <button key={p} type="button" aria-pressed={filters.priority.includes(p)} onClick={() => set({ priority: toggle(filters.priority, p) })} className={CHIP}>
              {PRIORITY_LABEL[p]}
            </button>
          ))}
        </div>
      </Group>
      <div className="sm:w-36" data-filter-group>
        <label htmlFor={`${ids}-tag`} className={LABEL}>
          Tag
        </label>
        <input
          id={`${ids}-tag`}
          className="input"
          list={`${ids}-tags`}
          autoComplete="off"
          value={tag}
          aria-invalid={tagError ? true : undefined}
          aria-describedby={tagError ? `${ids}-tag-error` : undefined}
          onChange={(e) => setTag(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") set({ tag: cleanTag(e.currentTarget.value) });
          }}
        />
        <datalist id={`${ids}-tags`}>
          {known.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        {tagError && (
          <p id={`${ids}-tag-error`} className="mt-1 text-rose-700 dark:text-rose-300">
            {tagError}
          </p>
        )}
      </div>
      <div data-filter-group>
        <label htmlFor={`${ids}-from`} className={LABEL}>
          Due from
        </label>
        <input id={`${ids}-from`} type="date" className="input" value={filters.dueFrom} onChange={(e) => set({ dueFrom: e.target.value })} />
      </div>
      <div data-filter-group>
        <label htmlFor={`${ids}-to`} className={LABEL}>
          Due to
        </label>
        <input id={`${ids}-to`} type="date" className="input" value={filters.dueTo} onChange={(e) => set({ dueTo: e.target.value })} />
      </div>
      <Group legend="Show">
        <label className="flex min-h-11 items-center gap-2 sm:min-h-[38px]">
          <input type="checkbox" className="size-4" checked={filters.overdue} onChange={(e) => set({ overdue: e.target.checked })} />
          Overdue only
        </label>
      </Group>
      {hasFilters(filters) && (
        <button
          type="button"
          className="btn-secondary sm:mt-6"
          onClick={() => {
            onClear();
            setParams(filtersToParams({ ...parseFilters(new URLSearchParams()), sort: filters.sort, project: filters.project, mine: filters.mine }), {
              replace: true,
            });
          }}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
