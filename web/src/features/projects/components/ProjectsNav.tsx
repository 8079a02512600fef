import { useQueryClient } from "@tanstack/react-query";
import { useState, type DragEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { ApiError, describeError } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { useToast } from "../../../components/toast-context";
import { findTask } from "../../tasks/api/task-cache";
import { useUpdateTask } from "../../tasks/api/update-task";
import { TASK_DRAG_TYPE } from "../../tasks/drag";
import { useCreateProject } from "../api/create-project";
import type { Project } from "../api/project-keys";
import { useProjects } from "../api/get-projects";
import { useViewedProjectId } from "../viewed-project";
import { ArchivedProjectsDialog } from "./ArchivedProjects";
import { ProjectForm } from "./ProjectForm";

const ACTIVE = "bg-indigo-100 font-medium text-indigo-900 dark:bg-indigo-900 dark:text-indigo-50";
const IDLE = "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800";

/** The sidebar's "Assigned to me" and projects: the Inbox first, each with its open count, and "New project". */
export function ProjectsNav() {
  const projects = useProjects();
  const viewed = useViewedProjectId();
  const [params] = useSearchParams();
  const mine = useLocation().pathname === "/tasks" && params.get("assignee") === "me" && !viewed;
  const navigate = useNavigate();
  const { toast } = useToast();
  const [creating, setCreating] = useState(false);
  const [showArchived, setShowArchived] = useState(false);
  // A task dragged from a list or the board onto a project moves into it.
  const qc = useQueryClient();
  const [over, setOver] = useState<string | null>(null);
  const move = useUpdateTask({
    onError: (error) => toast({ kind: "error", message: `Not moved: ${describeError(error)}` }),
  });
  const dropTarget = (project: Project) => ({
    "data-drop-project": project.id,
    onDragOver: (event: DragEvent) => {
      if (!event.dataTransfer.types.includes(TASK_DRAG_TYPE)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      setOver(project.id);
    },
    onDragLeave: () => setOver(null),
    onDrop: (event: DragEvent) => {
      event.preventDefault();
      setOver(null);
      const task = findTask(qc, event.dataTransfer.getData(TASK_DRAG_TYPE));
      if (!task || task.project_id === project.id) return;
      void move.mutateAsync({ task, patch: { project_id: project.id } }).then(
        () => toast({ kind: "success", message: `Moved “${task.title}” to ${project.name}` }),
        () => undefined,
      );
    },
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useCreateProject({
    onSuccess: (project) => {
      setCreating(false);
      toast({ kind: "success", message: `Project “${project.name}” created` });
      void navigate(`/tasks?project=${project.id}`);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else toast({ kind: "error", message: describeError(error) });
    },
  });

  return (
    <nav aria-labelledby="projects-heading" className="space-y-2">
      <div className="flex items-center justify-between gap-2">
        <h2 id="projects-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
          Projects
        </h2>
        <button
          type="button"
          className="rounded-md px-2 py-1 text-sm font-medium text-indigo-700 hover:bg-slate-100 dark:text-indigo-300 dark:hover:bg-slate-800"
          onClick={() => {
            setErrors({});
            setCreating(true);
          }}
        >
          New project
        </button>
      </div>
      {projects.isError ? (
        <p className="text-sm text-rose-700 dark:text-rose-300">
          Projects could not be loaded.{" "}
          <button type="button" className="underline" onClick={() => void projects.refetch()}>
            Retry
          </button>
        </p>
      ) : (
        <ul className="space-y-0.5">
          <li>
            <Link
              to="/tasks?assignee=me"
              aria-current={mine ? "page" : undefined}
              className={`flex min-h-11 items-center gap-2 rounded-md px-3 py-2 text-sm md:min-h-0 ${mine ? ACTIVE : IDLE}`}
            >
              Assigned to me
            </Link>
          </li>
          {projects.data?.map((project) => (
            <li key={project.id} {...(project.role === "viewer" ? {} : dropTarget(project))}>
              <Link
                to={`/tasks?project=${project.id}`}
                aria-current={viewed === project.id ? "page" : undefined}
                aria-describedby={`project-count-${project.id}`}
                className={`flex min-h-11 items-center gap-2 rounded-md px-3 py-2 text-sm md:min-h-0 ${viewed === project.id ? ACTIVE : IDLE} ${
                  over === project.id ? "ring-2 ring-indigo-500" : ""
                }`}
              >
                <span aria-hidden="true" className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: project.colour }} />
                <span className="min-w-0 flex-1 truncate">{project.name}</span>
                {/* Out of the link's name ("Home"); its description ("3 open tasks") is below. */}
                <span aria-hidden="true" className="text-xs tabular-nums text-slate-600 dark:text-slate-400">
                  {project.open_tasks}
                </span>
              </Link>
              <span id={`project-count-${project.id}`} hidden>
                {`${project.open_tasks} ${project.open_tasks === 1 ? "open task" : "open tasks"}`}
              </span>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        className="min-h-11 w-full rounded-md px-3 py-2 text-left text-sm text-slate-600 hover:bg-slate-100 md:min-h-0 dark:text-slate-400 dark:hover:bg-slate-800"
        onClick={() => setShowArchived(true)}
      >
        Archived projects
      </button>
      <ArchivedProjectsDialog open={showArchived} onClose={() => setShowArchived(false)} />
      <Dialog open={creating} title="New project" onClose={() => setCreating(false)}>
        <ProjectForm
          submitLabel="Create project"
          busy={create.isPending}
          serverErrors={errors}
          onSubmit={(body) => create.mutate(body)}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
    </nav>
  );
}
