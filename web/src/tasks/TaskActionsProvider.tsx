import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { ApiError, describeError, unwrap, type Task, type TaskCreate, type TaskUpdate } from "../api/problem";
import { Dialog } from "../components/Dialog";
import { useToast } from "../components/toast-context";
import { formatDue, PRIORITY_LABEL, STATUS_LABEL } from "../lib/format";
import { TaskActionsContext, type TaskActions } from "./actions-context";
import { addTask, dropTasks, etag, putTask, snapshot, STATS_KEY, TASKS_KEY } from "./queries";
import { TaskForm } from "./TaskForm";

interface Conflict {
  mine: TaskUpdate;
  current: Task;
}

const UNDO_MS = 5000;

function describeChange(patch: TaskUpdate): string[] {
  return Object.entries(patch).map(([field, value]) => {
    if (field === "status") return `Status → ${STATUS_LABEL[value as Task["status"]]}`;
    if (field === "priority") return `Priority → ${PRIORITY_LABEL[value as Task["priority"]]}`;
    if (field === "due_at") return `Due → ${value ? formatDue(value as string) : "none"}`;
    if (field === "tags") return `Tags → ${(value as string[]).join(", ") || "none"}`;
    return `${field[0]?.toUpperCase() ?? ""}${field.slice(1)} → ${String(value ?? "(empty)")}`;
  });
}

export function TaskActionsProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [editor, setEditor] = useState<{ open: boolean; task?: Task | undefined }>({ open: false });
  const [editorErrors, setEditorErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);

  const refreshStats = useCallback(() => {
    void qc.invalidateQueries({ queryKey: STATS_KEY });
  }, [qc]);

  const create = useCallback(
    async (body: TaskCreate) => {
      const task = unwrap(
        await api.POST("/api/v1/tasks", {
          body,
          params: { header: { "idempotency-key": crypto.randomUUID() } },
        }),
      );
      addTask(qc, task);
      refreshStats();
      void qc.invalidateQueries({ queryKey: TASKS_KEY, refetchType: "none" });
      return task;
    },
    [qc, refreshStats],
  );

  const update = useCallback(
    async (task: Task, patch: TaskUpdate) => {
      const saved = snapshot(qc);
      putTask(qc, { ...task, ...(patch as Partial<Task>) });
      try {
        const fresh = unwrap(
          await api.PATCH("/api/v1/tasks/{task_id}", {
            params: { path: { task_id: task.id }, header: { "if-match": etag(task) } },
            body: patch,
          }),
        );
        putTask(qc, fresh);
        refreshStats();
      } catch (error) {
        saved.restore();
        if (error instanceof ApiError && error.status === 412 && error.problem.current) {
          putTask(qc, error.problem.current);
          setConflict({ mine: patch, current: error.problem.current });
        } else {
          toast({ kind: "error", message: `Not saved: ${describeError(error)}` });
        }
        throw error;
      }
    },
    [qc, refreshStats, toast],
  );

  const remove = useCallback(
    (tasks: Task[]) => {
      if (!tasks.length) return;
      const saved = snapshot(qc);
      const ids = new Set(tasks.map((t) => t.id));
      dropTasks(qc, ids);
      const label = tasks.length === 1 ? `“${tasks[0]?.title ?? ""}” deleted` : `${tasks.length} tasks deleted`;
      toast({
        message: label,
        duration: UNDO_MS,
        action: { label: "Undo", onClick: () => undefined },
        onClose: (undone) => {
          if (undone) {
            saved.restore();
            return;
          }
          const request =
            tasks.length === 1 && tasks[0]
              ? api.DELETE("/api/v1/tasks/{task_id}", {
                  params: { path: { task_id: tasks[0].id }, header: { "if-match": etag(tasks[0]) } },
                })
              : api.POST("/api/v1/tasks/bulk", { body: { action: "delete", ids: [...ids] } });
          void request
            .then((result) => {
              unwrap(result);
              refreshStats();
            })
            .catch((error: unknown) => {
              saved.restore();
              void qc.invalidateQueries({ queryKey: TASKS_KEY });
              toast({ kind: "error", message: `Could not delete: ${describeError(error)}` });
            });
        },
      });
    },
    [qc, refreshStats, toast],
  );

  const complete = useCallback(
    async (tasks: Task[]) => {
      if (!tasks.length) return;
      const saved = snapshot(qc);
      for (const t of tasks) putTask(qc, { ...t, status: "done" });
      try {
        const result = unwrap(
          await api.POST("/api/v1/tasks/bulk", {
            body: { action: "set_status", ids: tasks.map((t) => t.id), status: "done" },
          }),
        );
        for (const t of result.items) putTask(qc, t);
        refreshStats();
        toast({ kind: "success", message: `${result.count} ${result.count === 1 ? "task" : "tasks"} completed` });
      } catch (error) {
        saved.restore();
        toast({ kind: "error", message: `Not completed: ${describeError(error)}` });
      }
    },
    [qc, refreshStats, toast],
  );

  const openEditor = useCallback((task?: Task) => {
    setEditorErrors({});
    setEditor({ open: true, task });
  }, []);

  const closeEditor = useCallback(() => setEditor({ open: false }), []);

  async function saveEditor(body: TaskCreate) {
    setSaving(true);
    setEditorErrors({});
    try {
      if (editor.task) {
        const before = editor.task;
        const patch: TaskUpdate = {};
        if (body.title !== before.title) patch.title = body.title;
        if ((body.description ?? null) !== before.description) patch.description = body.description ?? null;
        if (body.status !== before.status) patch.status = body.status ?? "todo";
        if (body.priority !== before.priority) patch.priority = body.priority ?? "medium";
        if ((body.due_at ?? null) !== (before.due_at ? new Date(before.due_at).toISOString() : null))
          patch.due_at = body.due_at ?? null;
        if (JSON.stringify(body.tags) !== JSON.stringify(before.tags)) patch.tags = body.tags ?? [];
        closeEditor();
        if (Object.keys(patch).length) {
          await update(before, patch).then(
            () => toast({ kind: "success", message: "Task saved" }),
            () => undefined,
          );
        }
      } else {
        await create(body);
        closeEditor();
        toast({ kind: "success", message: "Task created" });
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setEditorErrors(error.fieldErrors());
      else toast({ kind: "error", message: describeError(error) });
    } finally {
      setSaving(false);
    }
  }

  const value = useMemo<TaskActions>(
    () => ({ create, update, remove, complete, openEditor }),
    [create, update, remove, complete, openEditor],
  );

  return (
    <TaskActionsContext.Provider value={value}>
      {children}
      <Dialog open={editor.open} title={editor.task ? "Edit task" : "New task"} onClose={closeEditor} wide>
        <TaskForm
          key={editor.task?.id ?? "new"}
          task={editor.task}
          busy={saving}
          serverErrors={editorErrors}
          onSubmit={(body) => void saveEditor(body)}
          onCancel={closeEditor}
        />
      </Dialog>
      <Dialog open={conflict !== null} title="Someone changed this task" onClose={() => setConflict(null)}>
        {conflict && (
          <div className="space-y-4 text-sm">
            <p>
              The task was changed elsewhere after you opened it, so your change was not saved. This is the
              newer version:
            </p>
            <dl className="card grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
              <dt className="font-medium">Title</dt>
              <dd>{conflict.current.title}</dd>
              <dt className="font-medium">Status</dt>
              <dd>{STATUS_LABEL[conflict.current.status]}</dd>
              <dt className="font-medium">Priority</dt>
              <dd>{PRIORITY_LABEL[conflict.current.priority]}</dd>
              <dt className="font-medium">Due</dt>
              <dd>{formatDue(conflict.current.due_at) || "—"}</dd>
              <dt className="font-medium">Tags</dt>
              <dd>{conflict.current.tags.join(", ") || "—"}</dd>
            </dl>
            <div>
              <p className="font-medium">Your change</p>
              <ul className="list-inside list-disc">
                {describeChange(conflict.mine).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
            <div className="flex flex-wrap justify-end gap-2">
              <button type="button" className="btn-secondary" onClick={() => setConflict(null)}>
                Keep the newer version
              </button>
              <button
                type="button"
                className="btn-primary"
                onClick={() => {
                  const { current, mine } = conflict;
                  setConflict(null);
                  void update(current, mine).then(
                    () => toast({ kind: "success", message: "Your change was applied" }),
                    () => undefined,
                  );
                }}
              >
                Re-apply my change
              </button>
            </div>
          </div>
        )}
      </Dialog>
    </TaskActionsContext.Provider>
  );
}
