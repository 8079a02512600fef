import { formatFull } from "../../lib/dates";
import { PRIORITY_LABEL, STATUS_LABEL } from "../../lib/format";
import type { HistoryEntry } from "./api/comment-cache";

const FIELD_LABEL: Record<HistoryEntry["field"], string> = {
  title: "the title",
  status: "the status",
  priority: "the priority",
  due_at: "the due date",
  due_date: "the due date",
  assignee_id: "the assignee",
  project_id: "the project",
  description: "the description",
  tags: "the tags",
};

export interface Names {
  /** A member's name by user id. */
  person: (id: string) => string | undefined;
  /** A project's name by id. */
  project: (id: string) => string | undefined;
}

/** A value of the history as people read it (names rather than ids, dates in the profile's zone). */
function shown(entry: HistoryEntry, value: string | null, names: Names, zone: string, locale: string): string | null {
  if (value === null) return null;
  switch (entry.field) {
    case "status":
      return (STATUS_LABEL as Record<string, string | undefined>)[value] ?? value;
    case "priority":
      return (PRIORITY_LABEL as Record<string, string | undefined>)[value] ?? value;
    case "due_at":
      return formatFull(value, zone, locale);
    case "assignee_id":
      return names.person(value) ?? "a former member";
    case "project_id":
      return names.project(value) ?? "a project you cannot see";
    default:
      return value;
  }
}

/** One change as a sentence: "Ana changed the status from To do to Done". */
export function describeChange(entry: HistoryEntry, names: Names, zone: string, locale: string): string {
  const who = entry.user_name;
  const what = FIELD_LABEL[entry.field];
  if (entry.field === "description") return `${who} changed ${what}`;
  const before = shown(entry, entry.old_value, names, zone, locale);
  const after = shown(entry, entry.new_value, names, zone, locale);
  if (entry.field === "assignee_id") return after ? `${who} assigned it to ${after}` : `${who} unassigned it`;
  if (entry.field === "project_id") return `${who} moved it from ${before ?? "?"} to ${after ?? "?"}`;
  if (after === null) return `${who} cleared ${what}${before ? ` (was ${before})` : ""}`;
  if (before === null) return `${who} set ${what} to ${after}`;
  return `${who} changed ${what} from ${before} to ${after}`;
}
