import { useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { ApiError, describeError } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { useToast } from "../../../components/toast-context";
import { useCreateProject } from "../api/create-project";
import { useProjects } from "../api/get-projects";
import { useViewedProjectId } from "../viewed-project";
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
              className={`flex items-center gap-2 rounded-md px-3 py-2 text-sm ${mine ? ACTIVE : IDLE}`}
            >
              Assigned to me
            </Link>
          </li>
          {projects.data?.map((project) => (
            <li key={project.id}>
              <Link
                to={`/tasks?project=${project.id}`}
                aria-current={viewed === project.id ? "page" : undefined}
                aria-describedby={`project-count-${project.id}`}
                className={`flex items-center gap-2 rounded-md px-3 py-2 text-sm ${viewed === project.id ? ACTIVE : IDLE}`}
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
