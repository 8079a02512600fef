import { useState } from "react";
import { describeError } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { useToast } from "../../../components/toast-context";
import { useArchivedProjects, useDeleteProject } from "../api/archived-projects";
import type { Project } from "../api/project-keys";
import { useUpdateProject } from "../api/update-project";

/** The archived projects: each restored to the sidebar, or deleted with its tasks (owners, after a second click). */
export function ArchivedProjectsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const archived = useArchivedProjects({ enabled: open });
  const { toast } = useToast();
  const [confirming, setConfirming] = useState<string | null>(null);
  const restore = useUpdateProject({
    onSuccess: (project) => toast({ kind: "success", message: `“${project.name}” restored` }),
    onError: (error) => toast({ kind: "error", message: `Not restored: ${describeError(error)}` }),
  });
  const remove = useDeleteProject({
    onSuccess: () => toast({ kind: "success", message: "Project deleted" }),
    onError: (error) => toast({ kind: "error", message: `Not deleted: ${describeError(error)}` }),
  });
  const restoreOne = (p: Project) =>
    restore.mutate({ id: p.id, patch: { archived: false } }, { onSuccess: () => void archived.refetch() });

  return (
    <Dialog open={open} title="Archived projects" onClose={onClose}>
      {archived.isPending ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Loading…</p>
      ) : archived.isError ? (
        <p className="text-sm text-rose-700 dark:text-rose-300">Archived projects could not be loaded: {describeError(archived.error)}</p>
      ) : archived.data.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No archived projects. Archive one from its settings.</p>
      ) : (
        <ul aria-label="Archived projects" className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
          {archived.data.map((p) => (
            <li key={p.id} className="flex flex-wrap items-center gap-2 py-2">
              <span aria-hidden="true" className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: p.colour }} />
              <span className="min-w-0 flex-1 truncate">{p.name}</span>
              <button type="button" className="btn-secondary" disabled={restore.isPending} aria-label={`Restore ${p.name}`} onClick={() => restoreOne(p)}>
                Restore
              </button>
              {p.role === "owner" &&
                (confirming === p.id ? (
                  <button
                    type="button"
                    className="btn-danger"
                    disabled={remove.isPending}
                    aria-label={`Delete ${p.name} and its tasks for good`}
                    onClick={() => {
                      setConfirming(null);
                      remove.mutate(p.id);
                    }}
                  >
                    Delete for good
                  </button>
                ) : (
                  <button type="button" className="btn-secondary" aria-label={`Delete ${p.name}`} onClick={() => setConfirming(p.id)}>
                    Delete…
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
