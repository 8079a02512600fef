import { useCallback, useRef, useState, type ReactNode } from "react";
import { ApiError, type Task } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";

/** What to do with a parent's open subtasks when it is completed (the API's `open_subtasks`). */
export type OpenSubtasksChoice = "complete" | "keep";

/** How many open subtasks a 409 `open-subtasks` answer counted (null: another error). */
export function openSubtasksOf(error: unknown): number | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  if (!error.problem.type.endsWith(":open-subtasks")) return null;
  const count = (error.problem as unknown as { open_subtasks?: unknown }).open_subtasks;
  return typeof count === "number" ? count : 1;
}

interface Question {
  task: Task;
  open: number;
  answer: (choice: OpenSubtasksChoice | null) => void;
}

/**
 * "Complete its open subtasks too?": asked when a task with open subtasks is completed. `ask`
 * resolves with the user's choice, or null when they cancel (the task stays as it was).
 */
export function useOpenSubtasksQuestion(): {
  ask: (task: Task, open?: number) => Promise<OpenSubtasksChoice | null>;
  dialog: ReactNode;
} {
  const [question, setQuestion] = useState<Question | null>(null);
  const pending = useRef<Question | null>(null);
  const ask = useCallback((task: Task, open = task.subtasks_total - task.subtasks_done) => {
    pending.current?.answer(null);
    return new Promise<OpenSubtasksChoice | null>((resolve) => {
      const q: Question = {
        task,
        open,
        answer: (choice) => {
          pending.current = null;
          setQuestion(null);
          resolve(choice);
        },
      };
      pending.current = q;
      setQuestion(q);
    });
  }, []);
  const open = question?.open ?? 0;
  const dialog = (
    <Dialog open={question !== null} title="Complete the open subtasks too?" onClose={() => question?.answer(null)}>
      <p className="text-sm">
        “{question?.task.title}” has {open} open {open === 1 ? "subtask" : "subtasks"}.
      </p>
      <div className="mt-4 flex flex-wrap justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={() => question?.answer(null)}>
          Cancel
        </button>
        <button type="button" className="btn-secondary" onClick={() => question?.answer("keep")}>
          Only this task
        </button>
        <button type="button" className="btn-primary" autoFocus onClick={() => question?.answer("complete")}>
          Complete all
        </button>
      </div>
    </Dialog>
  );
  return { ask, dialog };
}
