import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { describeError } from "../api/problem";
import { useAuth } from "../auth/auth-context";
import { Dialog } from "../components/Dialog";
import { useToast } from "../components/toast-context";
import { isTyping, useMediaQuery } from "../lib/hooks";
import { useLiveUpdates } from "../features/live/useLiveUpdates";
import { NotificationBell } from "../features/notifications/components/NotificationBell";
import { ProjectsNav } from "../features/projects/components/ProjectsNav";
import { TaskActionsProvider } from "../features/tasks/components/TaskActionsProvider";
import { useTaskDialogs, useToggleDone } from "../features/tasks/task-actions";
import { findTask } from "../features/tasks/api/task-cache";
import { useTasks } from "../features/tasks/api/get-tasks";
import { todayQuery, upcomingQuery } from "../features/tasks/views";
import { useClock } from "../lib/clock";

export const SEARCH_ID = "task-search";

const NAV: { to: string; label: string; end: boolean; count?: "today" | "upcoming" }[] = [
  { to: "/", label: "Dashboard", end: true },
  { to: "/today", label: "Today", end: false, count: "today" },
  { to: "/upcoming", label: "Upcoming", end: false, count: "upcoming" },
  { to: "/tasks", label: "Tasks", end: false },
  { to: "/board", label: "Board", end: false },
  { to: "/trash", label: "Trash", end: false },
  { to: "/settings", label: "Settings", end: false },
];

/** "g" then a letter goes to a screen. */
const GO_TO: Record<string, { to: string; label: string }> = {
  d: { to: "/", label: "Dashboard" },
  t: { to: "/today", label: "Today" },
  u: { to: "/upcoming", label: "Upcoming" },
  a: { to: "/tasks", label: "All tasks" },
  b: { to: "/board", label: "Board" },
  s: { to: "/settings", label: "Settings" },
};

const SHORTCUTS: [string, string][] = [
  ["n", "New task"],
  ["/", "Search tasks"],
  ...Object.entries(GO_TO).map(([key, { label }]): [string, string] => [`g ${key}`, `Go to ${label}`]),
  ["j k", "Focus the next or previous task"],
  ["x", "Complete the focused task (or reopen it)"],
  ["e", "Edit the focused task"],
  ["?", "Show this help"],
  ["Esc", "Close a dialog"],
  ["← →", "Move a focused board card between columns"],
];

/** The tasks on the screen, in order: list rows and board cards. */
const TASKS = "[data-task-row], li:has(> [data-task-id])";

/** The task whose row or card holds the focus, by id. */
function focusedTaskId(): string | null {
  const item = document.activeElement?.closest<HTMLElement>(TASKS);
  return item?.dataset.taskRow ?? item?.querySelector<HTMLElement>("[data-task-id]")?.dataset.taskId ?? null;
}

/** Moves the focus to the next (1) or previous (-1) task on the screen; the first from nowhere. */
function focusTask(delta: 1 | -1): void {
  const items = [...document.querySelectorAll<HTMLElement>(TASKS)].filter(
    // Not the cards of a board column hidden on a phone.
    (n) => !("checkVisibility" in n) || n.checkVisibility(),
  );
  const current = document.activeElement?.closest<HTMLElement>(TASKS);
  const at = current ? items.indexOf(current) : -1;
  const next = items[at < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + delta))];
  next?.querySelector<HTMLElement>("[data-task-id], button")?.focus();
}

function Shortcuts({ onHelp }: { onHelp: () => void }) {
  const { openEditor } = useTaskDialogs();
  const toggleDone = useToggleDone();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  // "g" waits a moment for its second key.
  const pendingGo = useRef(0);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target) || document.querySelector('[aria-modal="true"]')) return;
      const go = Date.now() - pendingGo.current < 2500;
      pendingGo.current = 0;
      if (go && GO_TO[event.key]) {
        event.preventDefault();
        void navigate(GO_TO[event.key]?.to ?? "/");
      } else if (event.key === "g") {
        pendingGo.current = Date.now();
      } else if (event.key === "n") {
        event.preventDefault();
        openEditor();
      } else if (event.key === "/") {
        event.preventDefault();
        const search = document.getElementById(SEARCH_ID);
        if (search) search.focus();
        else void navigate("/tasks?focus=search");
      } else if (event.key === "?") {
        event.preventDefault();
        onHelp();
      } else if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        focusTask(event.key === "j" ? 1 : -1);
      } else if (event.key === "x" || event.key === "e") {
        const id = focusedTaskId();
        const task = id ? findTask(qc, id) : undefined;
        if (!task) return;
        event.preventDefault();
        if (event.key === "x") toggleDone(task);
        else openEditor(task);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [openEditor, toggleDone, qc, navigate, onHelp, location.pathname]);
  return null;
}

export default function AppShell() {
  const { user, logout } = useAuth();
  const { toast } = useToast();
  const navigate = useNavigate();
  const [help, setHelp] = useState(false);
  useLiveUpdates();

  async function onLogout() {
    try {
      await logout();
      void navigate("/login", { replace: true });
    } catch (error) {
      toast({ kind: "error", message: describeError(error) });
    }
  }

  return (
    <TaskActionsProvider>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/95 backdrop-blur dark:border-slate-800 dark:bg-slate-950/95">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <span className="text-lg font-bold text-indigo-700 dark:text-indigo-300">Tasklane</span>
          <nav aria-label="Main" className="order-3 w-full overflow-x-auto sm:order-none sm:w-auto">
            <ul className="flex gap-1">
              {NAV.map((item) => (
                <li key={item.to}>
                  <NavLink
                    to={item.to}
                    end={item.end}
                    aria-describedby={item.count ? `nav-count-${item.count}` : undefined}
                    className={({ isActive }) =>
                      `flex min-h-11 items-center gap-1.5 whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium sm:min-h-0 ${
                        isActive
                          ? "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-50"
                          : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                      }`
                    }
                  >
                    {item.label}
                    {item.count && <NavCount view={item.count} />}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <NotificationBell />
            <NewTaskButton />
            <button
              type="button"
              className="btn-secondary hidden sm:inline-flex"
              onClick={() => setHelp(true)}
              aria-label="Keyboard shortcuts"
            >
              ?
            </button>
            <span className="hidden max-w-40 truncate text-sm text-slate-600 md:inline dark:text-slate-400">
              {user?.name}
            </span>
            <button type="button" className="btn-secondary" onClick={() => void onLogout()}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <div className="mx-auto max-w-6xl gap-6 px-4 py-6 md:grid md:grid-cols-[13rem_minmax(0,1fr)]">
        <aside className="mb-4 md:mb-0">
          <Sidebar />
        </aside>
        <main id="main">
          <Outlet />
        </main>
      </div>
      <Shortcuts onHelp={() => setHelp(true)} />
      <Dialog open={help} title="Keyboard shortcuts" onClose={() => setHelp(false)}>
        <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
          {SHORTCUTS.map(([key, what]) => (
            <div key={key} className="contents">
              <dt>
                <kbd className="rounded border border-slate-300 px-2 py-0.5 font-mono dark:border-slate-600">{key}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </Dialog>
    </TaskActionsProvider>
  );
}

/** The projects beside the page on a laptop; folded behind a "Projects" button on a phone, so the page starts near the top. */
function Sidebar() {
  const wide = useMediaQuery("(min-width: 768px)");
  const [open, setOpen] = useState(false);
  if (wide) return <ProjectsNav />;
  return (
    <div
      onClick={(event) => {
        // Following a link closes the panel.
        if (event.target instanceof Element && event.target.closest("a")) setOpen(false);
      }}
    >
      <button
        type="button"
        className="btn-secondary w-full justify-between"
        aria-expanded={open}
        aria-controls="projects-panel"
        onClick={() => setOpen((o) => !o)}
      >
        Projects
        <span aria-hidden="true">{open ? "▴" : "▾"}</span>
      </button>
      {open && (
        <div id="projects-panel" className="mt-3">
          <ProjectsNav />
        </div>
      )}
    </div>
  );
}

function NewTaskButton() {
  const { openEditor } = useTaskDialogs();
  return (
    <button type="button" className="btn-primary" onClick={() => openEditor()}>
      New task
    </button>
  );
}

/** How many open tasks a view holds (the first page's, with "+" when there are more). */
function NavCount({ view }: { view: "today" | "upcoming" }) {
  const { zone, today, ready } = useClock();
  const list = useTasks(view === "today" ? todayQuery(today, zone) : upcomingQuery(today, zone), { enabled: ready });
  const first = list.data?.pages[0];
  if (!first) return null;
  const count = `${first.items.length}${first.next_cursor ? "+" : ""}`;
  return (
    // Out of the link's name ("Today"), in its description ("3 tasks").
    <span
      id={`nav-count-${view}`}
      aria-hidden="true"
      className="rounded-full bg-slate-200 px-1.5 text-xs tabular-nums text-slate-800 dark:bg-slate-700 dark:text-slate-100"
    >
      {count}
      <span className="sr-only">{first.items.length === 1 && !first.next_cursor ? " task" : " tasks"}</span>
    </span>
  );
}
