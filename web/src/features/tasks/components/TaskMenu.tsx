import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import type { Status, Task } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { STATUS_LABEL, STATUSES } from "../../../lib/format";
import { MoveTaskDialog } from "../../projects/components/MoveTaskDialog";
import { useChangeTask, useRemoveTasks, useTaskDialogs } from "../task-actions";

/**
 * The row menu of a task: its status, edit, move to another project and delete (menu button pattern: arrows move, Esc
 * closes and gives focus back to the button).
 */
export function TaskMenu({ task }: { task: Task }) {
  const [open, setOpen] = useState(false);
  const [moving, setMoving] = useState(false);
  const { toast } = useToast();
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  const { openEditor } = useTaskDialogs();
  const change = useChangeTask();
  const remove = useRemoveTasks();

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>('[role^="menuitem"]')?.focus();
    const onDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [open]);

  function close(refocus = true) {
    setOpen(false);
    if (refocus) button.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const go = (index: number) => items[(index + items.length) % items.length]?.focus();
    if (event.key === "ArrowDown") go(at + 1);
    else if (event.key === "ArrowUp") go(at - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(items.length - 1);
    else if (event.key === "Escape") close();
    else if (event.key === "Tab") {
      close(false);
      return;
    } else return;
    event.preventDefault();
    event.stopPropagation();
  }

  const setStatus = (status: Status) => {
    close();
    if (status !== task.status) change.mutate({ task, patch: { status } });
  };
  const item =
    "block w-full px-3 py-2 text-left text-sm hover:bg-slate-100 focus:bg-slate-100 focus:outline-none dark:hover:bg-slate-800 dark:focus:bg-slate-800";

  return (
    <div className="relative shrink-0">
      <button
        ref={button}
        type="button"
        className="flex size-11 items-center justify-center rounded-md text-slate-600 hover:bg-slate-100 sm:size-8 dark:text-slate-300 dark:hover:bg-slate-800"
        aria-label={`Actions for “${task.title}”`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <svg viewBox="0 0 20 20" aria-hidden="true" className="size-5 fill-current">
          <circle cx="4" cy="10" r="1.6" />
          <circle cx="10" cy="10" r="1.6" />
          <circle cx="16" cy="10" r="1.6" />
        </svg>
      </button>
      {open && (
        <ul
          ref={menu}
          id={id}
          role="menu"
          aria-label={`Actions for “${task.title}”`}
          onKeyDown={onKeyDown}
          className="absolute right-0 top-full z-30 mt-1 w-48 rounded-md border border-slate-200 bg-white py-1 shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {STATUSES.map((status) => (
            <li key={status} role="none">
              <button
                type="button"
                role="menuitemradio"
                aria-checked={task.status === status}
                tabIndex={-1}
                className={`${item} flex items-center gap-2`}
                onClick={() => setStatus(status)}
              >
                <span aria-hidden="true" className="w-4">
                  {task.status === status ? "✓" : ""}
                </span>
                {STATUS_LABEL[status]}
              </button>
            </li>
          ))}
          <li role="separator" className="my-1 border-t border-slate-200 dark:border-slate-700" />
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={item}
              onClick={() => {
                // Focus on the menu's button first: the editor gives it back there on close.
                close();
                openEditor(task);
              }}
            >
              Edit
            </button>
          </li>
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={item}
              onClick={() => {
                close();
                setMoving(true);
              }}
            >
              Move to…
            </button>
          </li>
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`${item} text-rose-700 dark:text-rose-300`}
              onClick={() => {
                close(false);
                remove([task]);
              }}
            >
              Delete
            </button>
          </li>
        </ul>
      )}
      <MoveTaskDialog
        open={moving}
        title={task.title}
        projectId={task.project_id}
        onClose={() => setMoving(false)}
        onChoose={(project) => {
          setMoving(false);
          void change.mutateAsync({ task, patch: { project_id: project.id } }).then(
            () => toast({ kind: "success", message: `Moved to ${project.name}` }),
            () => undefined,
          );
        }}
      />
    </div>
  );
}
