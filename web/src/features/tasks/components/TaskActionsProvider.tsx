import { useCallback, useMemo, useState, type ReactNode } from "react";
import { ApiError, describeError, type Task, type TaskCreate, type TaskUpdate } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { useToast } from "../../../components/toast-context";
import { useProjects } from "../../projects/api/get-projects";
import { useViewedProjectId } from "../../projects/viewed-project";
import { useCreateTask } from "../api/create-task";
import { useUpdateTask } from "../api/update-task";
import { reportRefusedChange, TaskDialogsContext, type Conflict, type TaskDialogs } from "../task-actions";
import { ConflictDialog } from "./ConflictDialog";
import { useOpenSubtasksQuestion } from "./OpenSubtasksDialog";
import { Subtasks } from "./Subtasks";
import { TaskForm } from "./TaskForm";

/** The fields the form changed, as a PATCH body. */
function changes(before: Task, body: TaskCreate): TaskUpdate {
  const patch: TaskUpdate = {};
  if (body.title !== before.title) patch.title = body.title;
  if ((body.description ?? null) !== before.description) patch.description = body.description ?? null;
  if (body.status !== before.status) patch.status = body.status ?? "todo";
  if (body.priority !== before.priority) patch.priority = body.priority ?? "medium";
  // A time or a day (date-only): both are sent when either changed, the other null.
  const dueAtBefore = before.due_at && !before.due_date ? new Date(before.due_at).toISOString() : null;
  if ((body.due_at ?? null) !== dueAtBefore || (body.due_date ?? null) !== (before.due_date ?? null)) {
    patch.due_at = body.due_at ?? null;
    patch.due_date = body.due_date ?? null;
  }
  if (JSON.stringify(body.tags) !== JSON.stringify(before.tags)) patch.tags = body.tags ?? [];
  if ((body.assignee_id ?? null) !== before.assignee_id) patch.assignee_id = body.assignee_id ?? null;
  if (JSON.stringify(body.reminder_offsets ?? null) !== JSON.stringify(before.reminder_offsets ?? null))
    patch.reminder_offsets = body.reminder_offsets ?? null;
  return patch;
}

/**
 * Draws the task editor and the conflict dialog for every screen of the signed-in app. A new
 * task keeps the editor open until the server took it (field errors show in the form); an edit
 * closes it at once and is optimistic.
 */
export function TaskActionsProvider({ children }: { children: ReactNode }) {
  const { toast } = useToast();
  const [editor, setEditor] = useState<{ open: boolean; task?: Task | undefined }>({ open: false });
  const [editorErrors, setEditorErrors] = useState<Record<string, string>>({});
  const [conflict, setConflict] = useState<Conflict | null>(null);
  // A new task goes into the project being viewed (the Inbox otherwise).
  const viewedProject = useViewedProjectId();

  const openEditor = useCallback((task?: Task) => {
    setEditorErrors({});
    setEditor({ open: true, task });
  }, []);
  const closeEditor = useCallback(() => setEditor({ open: false }), []);
  // "Complete the open subtasks too?": asked by one-click completion.
  const subtasksQuestion = useOpenSubtasksQuestion();
  const askOpenSubtasks = subtasksQuestion.ask;
  const projects = useProjects().data;
  const value = useMemo<TaskDialogs>(
    () => ({ openEditor, showConflict: setConflict, askOpenSubtasks }),
    [openEditor, askOpenSubtasks],
  );

  const update = useUpdateTask({
    onError: (error, { patch }) => reportRefusedChange(error, patch, toast, setConflict),
  });
  const create = useCreateTask({
    onSuccess: () => {
      closeEditor();
      toast({ kind: "success", message: "Task created" });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setEditorErrors(error.fieldErrors());
      else toast({ kind: "error", message: describeError(error) });
    },
  });

  /** Says `done` once the server took the change (the hook reports a refusal). */
  function change(task: Task, patch: TaskUpdate, done: string) {
    void update.mutateAsync({ task, patch }).then(
      () => toast({ kind: "success", message: done }),
      () => undefined,
    );
  }

  function save(body: TaskCreate) {
    setEditorErrors({});
    if (!editor.task) {
      create.mutate(viewedProject ? { ...body, project_id: viewedProject } : body);
      return;
    }
    const patch = changes(editor.task, body);
    closeEditor();
    if (Object.keys(patch).length) change(editor.task, patch, "Task saved");
  }

  return (
    <TaskDialogsContext.Provider value={value}>
      {children}
      <Dialog open={editor.open} title={editor.task ? "Edit task" : "New task"} onClose={closeEditor} wide>
        <TaskForm
          key={editor.task?.id ?? "new"}
          task={editor.task}
          projectId={viewedProject}
          busy={create.isPending}
          serverErrors={editorErrors}
          onSubmit={save}
          onCancel={closeEditor}
        />
        {editor.task && !editor.task.parent_id && (
          <Subtasks
            parent={editor.task}
            readOnly={projects?.find((p) => p.id === editor.task?.project_id)?.role === "viewer"}
          />
        )}
      </Dialog>
      {subtasksQuestion.dialog}
      <ConflictDialog
        conflict={conflict}
        onKeep={() => setConflict(null)}
        onReapply={({ current, mine }) => {
          setConflict(null);
          change(current, mine, "Your change was applied");
        }}
      />
    </TaskDialogsContext.Provider>
  );
}
