import { useEffect, useId, useRef, useState, type SyntheticEvent } from "react";
import type { Priority, Status, Task, TaskCreate } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { ReminderPicker } from "./ReminderPicker";
import { RecurrencePicker } from "./RecurrencePicker";
import { useMembers } from "../../projects/api/get-members";
import { parseTags } from "../../../lib/validation";
import { useClock } from "../../../lib/clock";
import { fromZonedInput, toZonedInput } from "../../../lib/dates";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../../../lib/format";
import type { EditorValues } from "../draft";

const TAG = /^[\p{L}\p{N}_][\p{L}\p{N}_ .\-/]*$/u;

interface Props {
  task?: Task | undefined;
  /** The project a new task goes into (its members can be assigned); an edited task's own otherwise. */
  projectId?: string | undefined;
  busy?: boolean;
  serverErrors?: Record<string, string>;
  onSubmit: (body: TaskCreate) => void;
  onCancel: () => void;
  /** Values to start from instead of the task's (a draft kept through a sign-in). */
  initial?: EditorValues | undefined;
  /** Told of every change of the fields, and whether they differ from the task's. */
  onValuesChange?: (values: EditorValues, changed: boolean) => void;
  /** Why the last save failed (offline, a server error, the session ended): the text stays, Retry sends it again. */
  saveError?: string | null;
}

/** "2026-12-04" and "09:00" as the editor's due value: the day alone, or the day and a time. */
function joinDue(day: string, time: string): string {
  return day ? (time ? `${day}T${time}` : day) : "";
}

/**
 * The due date, and a time only if the task has one: a day alone makes a date-only task
 * ("Friday", due all that day), with no "12:00 AM" anywhere.
 */
function DueFields({ due, zone, onChange, error }: { due: string; zone: string; onChange: (due: string) => void; error?: string | undefined }) {
  const ids = useId();
  const day = due.slice(0, 10);
  const time = due.slice(11, 16);
  return (
    <div>
      <label htmlFor={`${ids}-day`} className="mb-1 block text-sm font-medium">
        Due
      </label>
      <div className="flex gap-2">
        <input
          id={`${ids}-day`}
          type="date"
          name="due_date"
          className="input min-w-0 flex-1 aria-[invalid=true]:border-rose-600"
          value={day}
          min="1970-01-01"
          max="9999-12-31"
          onChange={(e) => onChange(joinDue(e.target.value, time))}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${ids}-hint${error ? ` ${ids}-error` : ""}`}
        />
        <input
          type="time"
          name="due_time"
          aria-label="Due time"
          className="input w-32 shrink-0"
          value={time}
          disabled={!day}
          onChange={(e) => onChange(joinDue(day, e.target.value))}
          aria-describedby={`${ids}-hint`}
        />
      </div>
      <p id={`${ids}-hint`} className="mt-1 flex flex-wrap items-center gap-x-2 text-xs text-slate-600 dark:text-slate-400">
        {!day ? "No due date" : time ? `Time in ${zone}` : "All day (no time)"}
        {day && time && (
          <button type="button" className="underline underline-offset-2" onClick={() => onChange(day)}>
            Remove the time
          </button>
        )}
      </p>
      {error && (
        <p id={`${ids}-error`} className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
    </div>
  );
}

/** Create or edit a task. */
export function TaskForm({
  task,
  projectId,
  busy,
  serverErrors = {},
  onSubmit,
  onCancel,
  initial,
  onValuesChange,
  saveError,
}: Props) {
  const ids = useId();
  // Entered and shown in the profile's zone, whatever zone the browser runs in.
  const { zone } = useClock();
  const [base] = useState<EditorValues>(() => ({
    title: task?.title ?? "",
    description: task?.description ?? "",
    status: task?.status ?? "todo",
    priority: task?.priority ?? "medium",
    // "2026-12-04" for a date-only task, "2026-12-04T09:00" (in the profile's zone) for a timed one.
    due: task?.due_date ?? toZonedInput(task?.due_at ?? null, zone),
    tags: task?.tags.join(", ") ?? "",
    assignee: task?.assignee_id ?? "",
  }));
  const start = initial ?? base;
  const [title, setTitle] = useState(start.title);
  const [description, setDescription] = useState(start.description);
  const [status, setStatus] = useState<Status>(start.status);
  const [priority, setPriority] = useState<Priority>(start.priority);
  const [due, setDue] = useState(start.due);
  const [tags, setTags] = useState(start.tags);
  const [assignee, setAssignee] = useState(start.assignee);
  const [reminders, setReminders] = useState<number[] | null>(task?.reminder_offsets ?? null);
  const [repeat, setRepeat] = useState<string | null>(task?.recurrence ?? null);
  const project = task?.project_id ?? projectId;
  const members = useMembers(project ?? "", { enabled: !!project }).data?.members;
  const [errors, setErrors] = useState<Record<string, string>>({});
  const shown = { ...serverErrors, ...errors };
  // Every change is reported (the editor keeps a draft and asks before discarding a change).
  const report = useRef(onValuesChange);
  useEffect(() => {
    report.current = onValuesChange;
  });
  useEffect(() => {
    const values: EditorValues = { title, description, status, priority, due, tags, assignee };
    const changed = (Object.keys(values) as (keyof EditorValues)[]).some((k) => values[k] !== base[k]);
    report.current?.(values, changed);
  }, [title, description, status, priority, due, tags, assignee, base]);

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const cleanTitle = title.trim();
    if (!cleanTitle) found.title = "Give the task a title.";
    else if (cleanTitle.length > 200) found.title = "Use at most 200 characters.";
    if (description.length > 10_000) found.description = "Use at most 10,000 characters.";
    const tagList = parseTags(tags);
    if (tagList.length > 20) found.tags = "Use at most 20 tags.";
    else {
      const bad = tagList.find((t) => t.length > 32 || !TAG.test(t));
      if (bad) found.tags = `“${bad}” is not a tag: tags are up to 32 letters, digits, spaces or . - / _`;
    }
    if (repeat && !due) found.recurrence = "A repeating task needs a due date: set one above.";
    setErrors(found);
    if (Object.keys(found).length) return;
    onSubmit({
      title: cleanTitle,
      description: description.trim() ? description : null,
      status,
      priority,
      // A day without a time is a date-only due date (no "12:00 AM").
      due_at: due.includes("T") ? fromZonedInput(due, zone) : null,
      due_date: due && !due.includes("T") ? due : null,
      tags: tagList,
      reminder_offsets: reminders,
      recurrence: repeat,
      ...(assignee ? { assignee_id: assignee } : {}),
    });
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      <Field
        label="Title"
        name="title"
        value={title}
        autoFocus
        onChange={(e) => setTitle(e.target.value)}
        error={shown.title}
      />
      <div>
        <label htmlFor={`${ids}-desc`} className="mb-1 block text-sm font-medium">
          Description
        </label>
        <textarea
          id={`${ids}-desc`}
          className="input min-h-24"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={shown.description ? true : undefined}
        />
        {shown.description && (
          <p className="mt-1 text-sm text-rose-700 dark:text-rose-300">{shown.description}</p>
        )}
      </div>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor={`${ids}-status`} className="mb-1 block text-sm font-medium">
            Status
          </label>
          <select
            id={`${ids}-status`}
            className="input"
            value={status}
            onChange={(e) => setStatus(e.target.value as Status)}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-priority`} className="mb-1 block text-sm font-medium">
            Priority
          </label>
          <select
            id={`${ids}-priority`}
            className="input"
            value={priority}
            onChange={(e) => setPriority(e.target.value as Priority)}
          >
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
        </div>
        <DueFields due={due} zone={zone} onChange={setDue} error={shown.due_at ?? shown.due_date} />
        {members && (
          <div>
            <label htmlFor={`${ids}-assignee`} className="mb-1 block text-sm font-medium">
              Assignee
            </label>
            <select id={`${ids}-assignee`} className="input" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
              <option value="">Nobody</option>
              {members.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <Field
          label="Tags"
          name="tags"
          hint="Separate with commas"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          error={shown.tags}
        />
      </div>
      <ReminderPicker value={reminders} onChange={setReminders} error={shown.reminder_offsets} />
      <RecurrencePicker value={repeat} onChange={setRepeat} due={due} error={shown.recurrence} />
      {saveError && (
        <div
          role="alert"
          className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-rose-300 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100"
        >
          <span>Not saved: {saveError} Your text is still here.</span>
          <button type="submit" className="btn-secondary" disabled={busy}>
            Retry
          </button>
        </div>
      )}
      <div className="flex justify-end gap-2 pt-2">
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={busy}>
          {task ? "Save changes" : "Create task"}
        </button>
      </div>
    </form>
  );
}
