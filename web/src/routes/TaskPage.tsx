import { useId, useMemo } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../api/problem";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { Comments } from "../features/comments/components/Comments";
import { History } from "../features/comments/components/History";
import type { Names } from "../features/comments/history-text";
import { LinkifiedText } from "../features/comments/components/LinkifiedText";
import { useMembers } from "../features/projects/api/get-members";
import { useProjects } from "../features/projects/api/get-projects";
import { useTask } from "../features/tasks/api/get-task";
import { Subtasks } from "../features/tasks/components/Subtasks";
import { TaskCheckbox } from "../features/tasks/components/TaskCheckbox";
import { DueText } from "../features/tasks/components/TaskRow";
import { useTaskDialogs } from "../features/tasks/task-actions";
import { PRIORITY_CLASS, PRIORITY_LABEL, STATUS_LABEL } from "../lib/format";

/**
 * A task's own page (`/tasks/:id`, a link to share with the project's members): its
 * description, subtasks, comments and history of changes. Signed out, the link goes through
 * the login and comes back here.
 */
export default function TaskPage() {
  const { id = "" } = useParams();
  const task = useTask(id);
  const projects = useProjects();
  const { openEditor } = useTaskDialogs();
  const project = projects.data?.find((p) => p.id === task.data?.project_id);
  const members = useMembers(task.data?.project_id ?? "", { enabled: task.data !== undefined });
  const names = useMemo<Names>(() => {
    const people = new Map((members.data?.members ?? []).map((m) => [m.user_id, m.name]));
    const places = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
    return { person: (uid) => people.get(uid), project: (pid) => places.get(pid) };
  }, [members.data, projects.data]);
  const descriptionId = useId();

  if (task.isPending) return <LoadingList rows={3} label="Loading the task" />;
  if (task.isError) {
    if (task.error instanceof ApiError && (task.error.status === 404 || task.error.status === 422)) {
      return (
        <EmptyState title="No such task">
          It was deleted, or it is in a project not shared with you. <Link className="underline" to="/tasks">Back to the tasks</Link>
        </EmptyState>
      );
    }
    return <ErrorState error={task.error} onRetry={() => void task.refetch()} />;
  }
  const t = task.data;
  // Until the projects load, the page reads only; a viewer keeps reading only.
  const canWrite = project !== undefined && project.role !== "viewer";
  const assignee = t.assignee_id ? names.person(t.assignee_id) : undefined;

  return (
    <article className="mx-auto max-w-3xl space-y-6" aria-labelledby={`task-${t.id}`}>
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to={project ? `/tasks?project=${project.id}` : "/tasks"} className="text-slate-600 underline hover:no-underline dark:text-slate-400">
          ← {project?.name ?? "Tasks"}
        </Link>
      </nav>
      <header className="space-y-2">
        <div className="flex items-start gap-3">
          {canWrite && <TaskCheckbox task={t} />}
          <h1 id={`task-${t.id}`} className={`min-w-0 flex-1 break-words text-2xl font-semibold ${t.status === "done" ? "text-slate-500 line-through dark:text-slate-400" : ""}`}>
            {t.title}
          </h1>
          {canWrite && (
            <button type="button" className="btn-secondary shrink-0" onClick={() => openEditor(t)}>
              Edit
            </button>
          )}
        </div>
        <dl className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          <div className="flex gap-1">
            <dt className="text-slate-600 dark:text-slate-400">Status</dt>
            <dd>{STATUS_LABEL[t.status]}</dd>
          </div>
          <div className="flex gap-1">
            <dt className="sr-only">Priority</dt>
            <dd className={`rounded px-1.5 font-medium ${PRIORITY_CLASS[t.priority]}`}>{PRIORITY_LABEL[t.priority]}</dd>
          </div>
          {(t.due_at ?? t.due_date) && (
            <div className="flex gap-1">
              <dt className="text-slate-600 dark:text-slate-400">Due</dt>
              <dd>
                <DueText task={t} />
              </dd>
            </div>
          )}
          <div className="flex gap-1">
            <dt className="text-slate-600 dark:text-slate-400">Assigned to</dt>
            <dd>{t.assignee_id ? (assignee ?? "a member") : "nobody"}</dd>
          </div>
          {t.tags.length > 0 && (
            <div className="flex gap-1">
              <dt className="sr-only">Tags</dt>
              <dd>{t.tags.map((tag) => `#${tag}`).join(" ")}</dd>
            </div>
          )}
        </dl>
      </header>

      <section aria-labelledby={descriptionId} className="space-y-2">
        <h2 id={descriptionId} className="text-lg font-semibold">
          Description
        </h2>
        {t.description ? (
          <p className="whitespace-pre-wrap break-words">
            <LinkifiedText text={t.description} />
          </p>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">No description.</p>
        )}
      </section>

      {t.parent_id ? (
        <p className="text-sm">
          A subtask of{" "}
          <Link className="underline" to={`/tasks/${t.parent_id}`}>
            its parent task
          </Link>
          .
        </p>
      ) : (
        // The subtasks feature's list: add, check off and reorder (read only for a viewer).
        <Subtasks parent={t} readOnly={!canWrite} />
      )}

      <Comments taskId={t.id} canWrite={canWrite} />
      <History taskId={t.id} names={names} />
    </article>
  );
}
