import { describeRule } from "../recurrence";

/** The repeat mark of a recurring task: two arrows in a loop, its rule in words for every reader. */
export function RepeatIcon({ rule }: { rule: string }) {
  const text = describeRule(rule);
  return (
    <span className="inline-flex items-center gap-1 text-slate-600 dark:text-slate-400" title={text}>
      <svg viewBox="0 0 20 20" aria-hidden="true" className="size-3.5 fill-none stroke-current stroke-2">
        <path d="M4 9V8a3 3 0 0 1 3-3h9m-3-3 3 3-3 3M16 11v1a3 3 0 0 1-3 3H4m3 3-3-3 3-3" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="sr-only">{text}</span>
    </span>
  );
}
