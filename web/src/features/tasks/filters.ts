import type { paths } from "../../api/schema";
import type { Priority, Status } from "../../api/problem";
import { addDays, startOfDay } from "../../lib/dates";
import { PRIORITIES, STATUSES } from "../../lib/format";

export type Sort = NonNullable<
  NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>["sort"]
>;
export type ListQuery = NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>;

export const SORTS: { value: Sort; label: string }[] = [
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "due_at", label: "Due soonest" },
  { value: "-due_at", label: "Due latest" },
  { value: "-priority", label: "Priority, highest first" },
  { value: "priority", label: "Priority, lowest first" },
  { value: "-updated_at", label: "Recently updated" },
  { value: "title", label: "Title A–Z" },
  { value: "-title", label: "Title Z–A" },
  { value: "position", label: "Manual" },
];
export const DEFAULT_SORT: Sort = "-created_at";

/** What the tasks screen shows; every field lives in the URL so a view can be shared. */
export interface TaskFilters {
  q: string;
  status: Status[];
  priority: Priority[];
  tag: string;
  /** yyyy-mm-dd, inclusive */
  dueFrom: string;
  /** yyyy-mm-dd, inclusive */
  dueTo: string;
  overdue: boolean;
  sort: Sort;
  /** The project viewed (its id), or "" for all of them. */
  project: string;
  /** Only the tasks assigned to the user (the "Assigned to me" view). */
  mine: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseFilters(params: URLSearchParams): TaskFilters {
  const sort = params.get("sort");
  const dueFrom = params.get("due_from") ?? "";
  const dueTo = params.get("due_to") ?? "";
  return {
    q: params.get("q") ?? "",
    status: params.getAll("status").filter((s): s is Status => STATUSES.includes(s as Status)),
    priority: params
      .getAll("priority")
      .filter((p): p is Priority => PRIORITIES.includes(p as Priority)),
    tag: params.get("tag") ?? "",
    dueFrom: DATE.test(dueFrom) ? dueFrom : "",
    dueTo: DATE.test(dueTo) ? dueTo : "",
    overdue: params.get("overdue") === "1",
    sort: SORTS.some((s) => s.value === sort) ? (sort as Sort) : DEFAULT_SORT,
    project: params.get("project") ?? "",
    mine: params.get("assignee") === "me",
  };
}

/** The filters as URL parameters; defaults are left out so URLs stay short. */
export function filtersToParams(filters: TaskFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.q.trim()) params.set("q", filters.q.trim());
  for (const s of filters.status) params.append("status", s);
  for (const p of filters.priority) params.append("priority", p);
  if (filters.tag.trim()) params.set("tag", filters.tag.trim().toLowerCase());
  if (filters.dueFrom) params.set("due_from", filters.dueFrom);
  if (filters.dueTo) params.set("due_to", filters.dueTo);
  if (filters.overdue) params.set("overdue", "1");
  if (filters.sort !== DEFAULT_SORT) params.set("sort", filters.sort);
  if (filters.project) params.set("project", filters.project);
  if (filters.mine) params.set("assignee", "me");
  return params;
}

/** Whether anything narrows the list besides its sort and the view (a project, "Assigned to me"). */
export function hasFilters(filters: TaskFilters): boolean {
  return filtersToParams({ ...filters, sort: DEFAULT_SORT, project: "", mine: false }).size > 0;
}

/** The API query for these filters (the due range covers whole days in the profile's zone). */
export function toListQuery(filters: TaskFilters, zone: string, limit = 30): ListQuery {
  // Subtasks show under their parent (its "2/5" and its editor), not as rows of their own.
  const query: ListQuery = { sort: filters.sort, limit, top_level: true };
  if (filters.q.trim()) query.q = filters.q.trim();
  if (filters.status.length) query.status = filters.status;
  if (filters.priority.length) query.priority = filters.priority;
  if (filters.tag.trim()) query.tag = [filters.tag.trim().toLowerCase()];
  if (filters.dueFrom) query.due_after = startOfDay(filters.dueFrom, zone).toISOString();
  if (filters.dueTo) query.due_before = startOfDay(addDays(filters.dueTo, 1), zone).toISOString();
  if (filters.overdue) query.overdue = true;
  if (filters.project) query.project_id = filters.project;
  if (filters.mine) query.assignee = "me";
  return query;
}
