import type { Task } from "../../../api/problem";
import { useAuth } from "../../../auth/auth-context";
import { useMembers } from "../api/get-members";

/** Who a task is assigned to, on its row: "You" or the member's first name (the whole name on hover and for screen readers). */
export function AssigneeBadge({ task }: { task: Task }) {
  const me = useAuth().user?.id;
  const mine = task.assignee_id !== null && task.assignee_id === me;
  const members = useMembers(task.project_id, { enabled: task.assignee_id !== null && !mine });
  if (!task.assignee_id) return null;
  const name = mine ? "You" : members.data?.members.find((m) => m.user_id === task.assignee_id)?.name;
  if (!name) return null;
  return (
    <span
      title={`Assigned to ${name === "You" ? "you" : name}`}
      data-assignee={task.assignee_id}
      className="shrink-0 rounded-full bg-violet-100 px-1.5 py-0.5 text-violet-900 dark:bg-violet-900 dark:text-violet-100"
    >
      <span className="sr-only">Assigned to </span>
      {name === "You" ? "You" : name.split(/\s+/)[0]}
    </span>
  );
}
