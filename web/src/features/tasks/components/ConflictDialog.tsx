import type { Task, TaskUpdate } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { useClock, type Clock } from "../../../lib/clock";
import { formatDue } from "../../../lib/dates";
import { formatTaskDue } from "../../../lib/due";
import { PRIORITY_LABEL, STATUS_LABEL } from "../../../lib/format";
import type { Conflict } from "../task-actions";

function describeChange(patch: TaskUpdate, clock: Clock): string[] {
  const lines = Object.entries(patch).map(([field, value]) => {
    if (field === "status") return `Status → ${STATUS_LABEL[value as Task["status"]]}`;
    if (field === "priority") return `Priority → ${PRIORITY_LABEL[value as Task["priority"]]}`;
    // A date-only due date is sent as due_date with due_at null: one line, "Due → Friday".
    if (field === "due_at") return patch.due_date ? "" : `Due → ${value ? formatDue(value as string, clock) : "none"}`;
    if (field === "due_date") return value ? `Due → ${formatTaskDue({ due_at: null, due_date: value as string }, clock)}` : "";
    if (field === "tags") return `Tags → ${(value as string[]).join(", ") || "none"}`;
    return `${field[0]?.toUpperCase() ?? ""}${field.slice(1)} → ${String(value ?? "(empty)")}`;
  });
  return lines.filter(Boolean);
}

/** Shows the newer version of a task next to the change the server refused. */
export function ConflictDialog({
  conflict,
  onKeep,
  onReapply,
}: {
  conflict: Conflict | null;
  onKeep: () => void;
  onReapply: (conflict: Conflict) => void;
}) {
  const clock = useClock();
  return (
    <Dialog open={conflict !== null} title="Someone changed this task" onClose={onKeep}>
      {conflict && (
        <div className="space-y-4 text-sm">
          <p>
            The task was changed elsewhere after you opened it, so your change was not saved. This is the newer
            version:
          </p>
          <dl className="card grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            <dt className="font-medium">Title</dt>
            <dd>{conflict.current.title}</dd>
            <dt className="font-medium">Status</dt>
            <dd>{STATUS_LABEL[conflict.current.status]}</dd>
            <dt className="font-medium">Priority</dt>
            <dd>{PRIORITY_LABEL[conflict.current.priority]}</dd>
            <dt className="font-medium">Due</dt>
            <dd>{formatTaskDue(conflict.current, clock) || "—"}</dd>
            <dt className="font-medium">Tags</dt>
            <dd>{conflict.current.tags.join(", ") || "—"}</dd>
          </dl>
          <div>
            <p className="font-medium">Your change</p>
            <ul className="list-inside list-disc">
              {describeChange(conflict.mine, clock).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </div>
          <div className="flex flex-wrap justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={onKeep}>
              Keep the newer version
            </button>
            <button type="button" className="btn-primary" onClick={() => onReapply(conflict)}>
              Re-apply my change
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
