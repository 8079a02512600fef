import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ToastContext, type ToastOptions } from "./toast-context";

interface Item extends ToastOptions {
  id: number;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<Item[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const closed = useRef(new Set<number>());

  const close = useCallback((item: Item, actioned: boolean) => {
    if (closed.current.has(item.id)) return;
    closed.current.add(item.id);
    clearTimeout(timers.current.get(item.id));
    timers.current.delete(item.id);
    setItems((list) => list.filter((t) => t.id !== item.id));
    item.onClose?.(actioned);
  }, []);

  const toast = useCallback(
    (options: ToastOptions) => {
      const item: Item = { ...options, id: nextId.current++ };
      const duration = options.duration ?? (options.kind === "error" ? 8000 : 4000);
      setItems((list) => [...list.slice(-3), item]);
      timers.current.set(
        item.id,
        setTimeout(() => close(item, false), duration),
      );
    },
    [close],
  );

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending.values()) clearTimeout(timer);
    };
  }, []);

  // The toasts' height (and their margin) as --toast-space: the page and the dialogs keep that
  // much room at the bottom, so a toast never covers a control.
  const region = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const node = region.current;
    if (!node) return;
    const root = document.documentElement;
    const measure = () => {
      const space = node.childElementCount ? Math.ceil(node.getBoundingClientRect().height) + 16 : 0;
      root.style.setProperty("--toast-space", `${space}px`);
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, [items]);

  const value = useMemo(() => ({ toast }), [toast]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        ref={region}
        aria-live="polite"
        aria-label="Notifications"
        role="region"
        className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:items-end"
      >
        {items.map((item) => (
          <div
            key={item.id}
            role={item.kind === "error" ? "alert" : "status"}
            className={`pointer-events-auto flex w-full max-w-sm items-center gap-3 rounded-lg px-4 py-3 text-sm shadow-lg ${
              item.kind === "error"
                ? "bg-rose-700 text-white"
                : "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900"
            }`}
          >
            <span className="flex-1">{item.message}</span>
            {item.action && (
              <button
                type="button"
                className="rounded px-2 py-1 font-semibold underline underline-offset-2"
                onClick={() => {
                  item.action?.onClick();
                  close(item, true);
                }}
              >
                {item.action.label}
              </button>
            )}
            <button
              type="button"
              aria-label="Dismiss notification"
              className="rounded px-1 opacity-80 hover:opacity-100"
              onClick={() => close(item, false)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
