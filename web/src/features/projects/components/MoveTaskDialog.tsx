import { Dialog } from "../../../components/Dialog";
import { useProjects } from "../api/get-projects";
import type { Project } from "../api/project-keys";

interface Props {
  open: boolean;
  /** The task's title, for the dialog's title. */
  title: string;
  /** The project the task is in now (not offered). */
  projectId: string;
  onChoose: (project: Project) => void;
  onClose: () => void;
}

/** "Move to…": the projects the user may add tasks to (not those they only view). */
export function MoveTaskDialog({ open, title, projectId, onChoose, onClose }: Props) {
  const projects = useProjects();
  const targets = (projects.data ?? []).filter((p) => p.id !== projectId && p.role !== "viewer");
  return (
    <Dialog open={open} title={`Move “${title}” to…`} onClose={onClose}>
      {projects.isPending ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Loading projects…</p>
      ) : targets.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">There is no other project to move it to.</p>
      ) : (
        <ul aria-label="Projects" className="space-y-1">
          {targets.map((project) => (
            <li key={project.id}>
              <button
                type="button"
                className="flex w-full items-center gap-2 rounded-md px-3 py-2 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
                onClick={() => onChoose(project)}
              >
                <span aria-hidden="true" className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: project.colour }} />
                {project.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
