import { useCallback, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError, describeError, type Task, type TaskCreate, type TaskUpdate } from "../../../api/problem";
import { useAuth } from "../../../auth/auth-context";
import { Dialog } from "../../../components/Dialog";
import { useToast } from "../../../components/toast-context";
import { useProjects } from "../../projects/api/get-projects";
import { useViewedProjectId } from "../../projects/viewed-project";
import { useCreateTask } from "../api/create-task";
import { conflictOf, useUpdateTask } from "../api/update-task";
import { clearDraft, loadDraft, saveDraft, type EditorValues } from "../draft";
import { reportRefusedChange, TaskDialogsContext, type Conflict, type TaskDialogs } from "../task-actions";
import { ConflictDialog } from "./ConflictDialog";
import { openSubtasksOf, useOpenSubtasksQuestion } from "./OpenSubtasksDialog";
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

interface EditorState {
  open: boolean;
  task?: Task | undefined;
  /** A draft's values, restored after a sign-in or a reload. */
  initial?: EditorValues | undefined;
  /** Where a restored draft's new task goes (the project viewed when it was typed). */
  projectId?: string | null | undefined;
  /** Tells the form to start again (a restored draft). */
  generation: number;
}

/**
 * Draws the task editor and the conflict dialog for every screen of the signed-in app. The
 * editor never loses what the user typed: it stays open until the server took the task or the
 * change (field errors show in the form; a failed save says why and offers Retry), its text is
 * kept for the tab while it is changed (restored after an expired session's sign-in, cleared on
 * log out), and closing a changed editor asks first. An edit is still optimistic in the lists.
 */
export function TaskActionsProvider({ children }: { children: ReactNode }) {
  const { toast } = useToast();
  const [editor, setEditor] = useState<EditorState>({ open: false, generation: 0 });
  const [editorErrors, setEditorErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [restored, setRestored] = useState(false);
  const changed = useRef(false);
  const userId = useAuth().user?.id;
  const [conflict, setConflict] = useState<Conflict | null>(null);
  // A new task goes into the project being viewed (the Inbox otherwise).
  const viewedProject = useViewedProjectId();

  const openEditor = useCallback((task?: Task) => {
    setEditorErrors({});
    setSaveError(null);
    setConfirmDiscard(false);
    setRestored(false);
    changed.current = false;
    setEditor((old) => ({ open: true, task, generation: old.generation + 1 }));
  }, []);
  const closeEditor = useCallback(() => {
    clearDraft();
    changed.current = false;
    setConfirmDiscard(false);
    setEditor((old) => ({ open: false, generation: old.generation }));
  }, []);
  /** Esc, ×, Cancel: a changed editor asks first ("Discard changes?"); asked, Esc keeps editing. */
  const requestClose = useCallback(() => {
    if (confirmDiscard) setConfirmDiscard(false);
    else if (changed.current) setConfirmDiscard(true);
    else closeEditor();
  }, [confirmDiscard, closeEditor]);

  // A draft of this tab (the session ended while the editor was open, or the page reloaded)
  // opens the editor again with the user's text, once they are signed in (read once per user,
  // while rendering: the form then reports it as changed).
  const [draftsOf, setDraftsOf] = useState<string | undefined>(undefined);
  if (userId && draftsOf !== userId) {
    setDraftsOf(userId);
    const draft = loadDraft(userId);
    if (draft) {
      setRestored(true);
      setEditor((old) => ({
        open: true,
        task: draft.task ?? undefined,
        initial: draft.values,
        projectId: draft.projectId,
        generation: old.generation + 1,
      }));
    }
  }

  const onValuesChange = useCallback(
    (values: EditorValues, isChanged: boolean) => {
      changed.current = isChanged;
      if (!userId) return;
      const projectId = editor.projectId ?? viewedProject ?? null;
      if (isChanged) saveDraft({ userId, task: editor.task ?? null, projectId, values });
      else clearDraft();
    },
    [userId, editor.task, editor.projectId, viewedProject],
  );
  // "Complete the open subtasks too?": asked by one-click completion and by the editor's save.
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
  // The editor's own saves: a failure keeps it open with the text (no toast, no conflict here
  // but a 412's, which the conflict dialog shows with the user's change).
  const save_ = useUpdateTask();
  const create = useCreateTask({
    onSuccess: () => {
      closeEditor();
      toast({ kind: "success", message: "Task created" });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setEditorErrors(error.fieldErrors());
      else setSaveError(describeError(error));
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
    setSaveError(null);
    setConfirmDiscard(false);
    const task = editor.task;
    if (!task) {
      const project = editor.projectId ?? viewedProject;
      create.mutate(project ? { ...body, project_id: project } : body);
      return;
    }
    const patch = changes(task, body);
    if (!Object.keys(patch).length) {
      closeEditor();
      return;
    }
    const send = (patch: TaskUpdate) =>
      save_.mutate(
        { task, patch },
        {
          onSuccess: () => {
            closeEditor();
            toast({ kind: "success", message: "Task saved" });
          },
          onError: (error) => {
            const current = conflictOf(error);
            const open = openSubtasksOf(error);
            if (open !== null) {
              void askOpenSubtasks(task, open).then((choice) => {
                if (choice) send({ ...patch, open_subtasks: choice });
              });
            } else if (current) {
              // The conflict dialog holds the user's change and offers to apply it again.
              closeEditor();
              setConflict({ mine: patch, current });
            } else if (error instanceof ApiError && error.status === 422) setEditorErrors(error.fieldErrors());
            else setSaveError(describeError(error));
          },
        },
      );
    send(patch);
  }

  return (
    <TaskDialogsContext.Provider value={value}>
      {children}
      <Dialog open={editor.open} title={editor.task ? "Edit task" : "New task"} onClose={requestClose} wide>
        {restored && (
          <p role="status" className="mb-3 rounded-md bg-indigo-50 p-2 text-sm text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100">
            Your unsaved changes were kept.
          </p>
        )}
        {confirmDiscard && (
          <div
            role="alertdialog"
            aria-label="Discard changes?"
            className="mb-3 flex flex-wrap items-center justify-between gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-50"
          >
            <span className="font-medium">Discard changes?</span>
            <span className="flex gap-2">
              <button type="button" className="btn-secondary" autoFocus onClick={() => setConfirmDiscard(false)}>
                Keep editing
              </button>
              <button type="button" className="btn-danger" onClick={closeEditor}>
                Discard
              </button>
            </span>
          </div>
        )}
        <TaskForm
          key={`${editor.task?.id ?? "new"}-${editor.generation}`}
          task={editor.task}
          projectId={editor.projectId ?? viewedProject}
          busy={create.isPending || save_.isPending}
          serverErrors={editorErrors}
          onSubmit={save}
          onCancel={requestClose}
          initial={editor.initial}
          onValuesChange={onValuesChange}
          saveError={saveError}
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
