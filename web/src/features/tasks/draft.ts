import type { Priority, Status, Task } from "../../api/problem";

/** What the task editor's fields hold, as the user typed it. */
export interface EditorValues {
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  /** The due field's wall-clock text, in the profile's zone. */
  due: string;
  tags: string;
  assignee: string;
}

/**
 * The editor's unsaved text, kept for this tab (sessionStorage) while it is open and changed, so
 * that it survives a reload, an expired session and the sign-in after it. It holds what the user
 * typed and the task being edited, never a token; logging out clears it, and another account
 * signing in to the tab never sees it.
 */
export interface TaskDraft {
  userId: string;
  /** The task being edited, as the editor got it (its version goes in If-Match); null: a new task. */
  task: Task | null;
  /** The project a new task goes into. */
  projectId: string | null;
  values: EditorValues;
}

const KEY = "tasklane.task-draft";

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

export function saveDraft(draft: TaskDraft): void {
  try {
    storage()?.setItem(KEY, JSON.stringify(draft));
  } catch {
    // Full or disabled: the editor still holds the text.
  }
}

/** The tab's draft if it is this user's; another user's is dropped. */
export function loadDraft(userId: string): TaskDraft | null {
  const raw = storage()?.getItem(KEY);
  if (!raw) return null;
  try {
    const draft = JSON.parse(raw) as TaskDraft;
    if (draft.userId === userId && typeof draft.values.title === "string") return draft;
  } catch {
    // Not ours to read: drop it.
  }
  clearDraft();
  return null;
}

export function clearDraft(): void {
  storage()?.removeItem(KEY);
}
