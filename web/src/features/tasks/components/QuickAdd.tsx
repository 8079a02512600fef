import { useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type SyntheticEvent } from "react";
import { ApiError, describeError, type TaskCreate } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { useClock } from "../../../lib/clock";
import { formatTaskDue } from "../../../lib/due";
import { PRIORITY_LABEL } from "../../../lib/format";
import { useViewedProjectId } from "../../projects/viewed-project";
import { useCreateTask } from "../api/create-task";
import { parseQuickAdd, type Token } from "../quick-add";
import { describeRule } from "../recurrence";

const TITLE_MAX = 200;

/**
 * One line that understands "Call mum tomorrow 9am !high #family". The recognised parts are
 * highlighted in the line and listed under it; each can be kept as plain words (its ×, or Esc
 * for the last one). `defaultDay` ("yyyy-mm-dd") is the due day of a line that names none.
 */
export function QuickAdd({ defaultDay, label = "Quick add a task" }: { defaultDay?: string; label?: string }) {
  const ids = useId();
  const clock = useClock();
  const project = useViewedProjectId();
  const { toast } = useToast();
  const [text, setText] = useState("");
  const [literal, setLiteral] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const mirror = useRef<HTMLDivElement>(null);
  const parsed = useMemo(() => parseQuickAdd(text, { zone: clock.zone, literal }), [text, clock.zone, literal]);

  const create = useCreateTask({
    onSuccess: () => {
      setText("");
      setLiteral(new Set());
      setSubmitted(false);
      toast({ kind: "success", message: "Task added" });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) {
        const fields = error.fieldErrors();
        setServerError(Object.values(fields)[0] ?? describeError(error));
      } else toast({ kind: "error", message: describeError(error) });
    },
  });

  // The same messages as the editor; a line too long says so as it is typed or pasted.
  const error =
    parsed.title.length > TITLE_MAX
      ? `Use at most ${TITLE_MAX} characters.`
      : submitted && !parsed.title
        ? "Give the task a title."
        : serverError;

  useLayoutEffect(() => {
    if (mirror.current && input.current) mirror.current.scrollLeft = input.current.scrollLeft;
  });

  function keep(token: Token) {
    setLiteral((current) => new Set([...current, token.key]));
    input.current?.focus();
  }

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    setSubmitted(true);
    setServerError(null);
    if (!parsed.title || parsed.title.length > TITLE_MAX) return;
    const body: TaskCreate = { title: parsed.title };
    if (project) body.project_id = project;
    if (parsed.priority) body.priority = parsed.priority;
    if (parsed.tags.length) body.tags = parsed.tags;
    if (parsed.due_at) body.due_at = parsed.due_at;
    else if (parsed.due_date) body.due_date = parsed.due_date;
    else if (defaultDay) body.due_date = defaultDay; // a line that names no day: that day, no time
    if (parsed.recurrence) body.recurrence = parsed.recurrence;
    create.mutate(body);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const last = parsed.tokens.at(-1);
    if (event.key === "Escape" && last) {
      event.preventDefault();
      event.stopPropagation();
      keep(last);
    }
  }

  const segments: { text: string; token?: Token }[] = [];
  let at = 0;
  for (const token of parsed.tokens) {
    segments.push({ text: text.slice(at, token.start) }, { text: text.slice(token.start, token.end), token });
    at = token.end;
  }
  segments.push({ text: text.slice(at) });

  const describe = (token: Token) => {
    if (token.kind === "priority") return `Priority: ${parsed.priority ? PRIORITY_LABEL[parsed.priority] : ""}`;
    if (token.kind === "tag") return `Tag: ${token.text.slice(1).toLowerCase()}`;
    if (token.kind === "recurrence") return `Repeats: ${parsed.recurrence ? describeRule(parsed.recurrence) : ""}`;
    return `Due: ${formatTaskDue(parsed, clock)}`;
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-2">
      <div className="flex gap-2">
        <label htmlFor={`${ids}-input`} className="sr-only">
          {label}
        </label>
        <div className="relative min-w-0 flex-1 rounded-md bg-white dark:bg-slate-900">
          <div
            ref={mirror}
            aria-hidden="true"
            className="input pointer-events-none absolute inset-0 overflow-hidden whitespace-pre"
            style={{ color: "transparent", background: "transparent", borderColor: "transparent" }}
          >
            {segments.map((s, i) =>
              s.token ? (
                <mark key={i} className="rounded-sm bg-indigo-100 text-transparent dark:bg-indigo-900">
                  {s.text}
                </mark>
              ) : (
                <span key={i}>{s.text}</span>
              ),
            )}
          </div>
          <input
            ref={input}
            id={`${ids}-input`}
            className="input relative"
            style={{ background: "transparent" }}
            placeholder="Call mum tomorrow 9am !high #family"
            autoComplete="off"
            value={text}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${ids}-help${error ? ` ${ids}-error` : ""}`}
            onChange={(e) => {
              setText(e.target.value);
              setServerError(null);
            }}
            onKeyDown={onKeyDown}
            onScroll={(e) => {
              if (mirror.current) mirror.current.scrollLeft = e.currentTarget.scrollLeft;
            }}
          />
        </div>
        <button type="submit" className="btn-primary shrink-0" disabled={create.isPending || !text.trim()}>
          Add
        </button>
      </div>
      {error && (
        <p id={`${ids}-error`} className="text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
      {parsed.tokens.length > 0 ? (
        <ul aria-label="Understood" className="flex flex-wrap gap-2 text-xs">
          {parsed.tokens.map((token) => (
            <li
              key={token.key}
              className="flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-2.5 pr-0.5 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100"
            >
              {describe(token)}
              <button
                type="button"
                className="flex size-6 items-center justify-center rounded-full hover:bg-indigo-100 dark:hover:bg-indigo-900"
                aria-label={`Keep “${token.text}” as words`}
                onClick={() => keep(token)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <p id={`${ids}-help`} className="text-xs text-slate-600 dark:text-slate-400">
        Dates like “friday 5pm”, “every sunday”, !high, #tag are understood (times in {clock.zone}). Esc keeps the last one as words.
      </p>
    </form>
  );
}
