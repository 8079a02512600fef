import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { describeError } from "../api/problem";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { useToast } from "../components/toast-context";
import { useClock } from "../lib/clock";
import { useBulkUpdateTasks } from "../features/tasks/api/bulk-update-tasks";
import { useTasks } from "../features/tasks/api/get-tasks";
import { useProjects } from "../features/projects/api/get-projects";
import { ProjectSettingsDialog } from "../features/projects/components/ProjectSettingsDialog";
import { FiltersBar } from "../features/tasks/components/FiltersBar";
import { QuickAdd } from "../features/tasks/components/QuickAdd";
import { hasFilters, parseFilters, toListQuery } from "../features/tasks/filters";
import { TaskRow } from "../features/tasks/components/TaskRow";
import { SortableTaskList } from "../features/tasks/components/SortableTaskList";
import { useRemoveTasks, useTaskDialogs } from "../features/tasks/task-actions";
import { SEARCH_ID } from "./AppShell";

export default function TasksPage() {
  const [params] = useSearchParams();
  const filters = parseFilters(params);
  const { zone, ready } = useClock();
  // Due-date filters are whole days in the profile's zone: they wait for the profile.
  const list = useTasks(toListQuery(filters, zone), { enabled: ready || !(filters.dueFrom || filters.dueTo) });
  const { openEditor } = useTaskDialogs();
  const remove = useRemoveTasks();
  const { toast } = useToast();
  const complete = useBulkUpdateTasks({
    onSuccess: ({ count }) => toast({ kind: "success", message: `${count} ${count === 1 ? "task" : "tasks"} completed` }),
    onError: (error) => toast({ kind: "error", message: `Not completed: ${describeError(error)}` }),
  });
  // Select mode: square boxes replace the round ones, and the selection bar acts on the chosen.
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const sentinel = useRef<HTMLDivElement>(null);
  const project = useProjects().data?.find((p) => p.id === filters.project);
  const [settings, setSettings] = useState(false);
  const navigate = useNavigate();

  const tasks = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const chosen = tasks.filter((t) => selected.has(t.id));
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;

  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    }, { rootMargin: "400px" });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const select = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allChosen = tasks.length > 0 && chosen.length === tasks.length;

  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between gap-3">
        <h1 className="mr-auto text-2xl font-semibold">{project?.name ?? (filters.mine ? "Assigned to me" : "Tasks")}</h1>
        {project && !project.is_inbox && (
          <button type="button" className="btn-secondary" onClick={() => setSettings(true)}>
            Project settings
          </button>
        )}
        {tasks.length > 0 && (
          <button
            type="button"
            className="btn-secondary"
            aria-pressed={selecting}
            onClick={() => {
              setSelecting((on) => !on);
              setSelected(new Set());
            }}
          >
            {selecting ? "Done selecting" : "Select"}
          </button>
        )}
      </div>
      {project && project.role !== "viewer" && <QuickAdd label={`Add a task to ${project.name}`} />}
      {project && (
        <ProjectSettingsDialog
          key={project.id}
          project={project}
          open={settings}
          onClose={() => setSettings(false)}
          onArchived={() => {
            setSettings(false);
            void navigate("/tasks");
          }}
        />
      )}
      <FiltersBar searchId={SEARCH_ID} />
      {selecting && chosen.length > 0 && (
        <div
          role="region"
          aria-label="Selection"
          className="sticky top-16 z-20 flex flex-wrap items-center gap-2 rounded-lg bg-indigo-50 p-3 text-sm dark:bg-indigo-950"
        >
          <span className="font-medium">{chosen.length} selected</span>
          <button
            type="button"
            className="btn-primary"
            onClick={() => {
              complete.mutate({ tasks: chosen, status: "done" });
              setSelected(new Set());
            }}
          >
            Complete
          </button>
          <button
            type="button"
            className="btn-danger"
            onClick={() => {
              remove(chosen);
              setSelected(new Set());
            }}
          >
            Delete
          </button>
          <button type="button" className="btn-secondary" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      {list.isPending ? (
        <LoadingList label="Loading tasks" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        hasFilters(filters) ? (
          <EmptyState title="No task matches these filters">Try fewer filters or another search.</EmptyState>
        ) : (
          <EmptyState title="No tasks yet">
            <button type="button" className="btn-primary mt-2" onClick={() => openEditor()}>
              Create your first task
            </button>
          </EmptyState>
        )
      ) : (
        <div className="card p-0">
          <div className="flex items-center gap-3 border-b border-slate-200 px-3 py-2 text-sm dark:border-slate-800">
            {selecting && (
              <input
                type="checkbox"
                className="size-5"
                checked={allChosen}
                onChange={(e) => setSelected(e.target.checked ? new Set(tasks.map((t) => t.id)) : new Set())}
                aria-label="Select all loaded tasks"
              />
            )}
            <span className="text-slate-600 dark:text-slate-400">
              {tasks.length} {tasks.length === 1 ? "task" : "tasks"}
              {hasNextPage ? " loaded" : ""}
            </span>
          </div>
          {/* Manual order: one project's tasks, dragged into place (not while selecting). */}
          {filters.sort === "position" && !selecting && tasks.every((t) => t.project_id === tasks[0]?.project_id) ? (
            <SortableTaskList tasks={tasks} label="Tasks" />
          ) : (
            <ul aria-label="Tasks" className="divide-y divide-slate-200 dark:divide-slate-800">
              {tasks.map((task) => (
                <TaskRow
                  key={task.id}
                  task={task}
                  selection={selecting ? { selected: selected.has(task.id), onSelect: (on) => select(task.id, on) } : undefined}
                />
              ))}
            </ul>
          )}
          <div ref={sentinel} className="p-3 text-center">
            {hasNextPage ? (
              <button
                type="button"
                className="btn-secondary"
                disabled={isFetchingNextPage}
                onClick={() => void fetchNextPage()}
              >
                {isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            ) : (
              <span className="text-sm text-slate-500 dark:text-slate-400">That is all.</span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
