import { useEffect, useId, useRef, type ReactNode } from "react";

interface Props {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

const FIELDS = "[autofocus], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled])";

/**
 * A modal dialog: focus moves to its first field (else its first control), Tab stays in, Escape
 * closes, and focus goes back on close to where it was before the dialog opened.
 */
export function Dialog({ open, title, onClose, children, wide }: Props) {
  const titleId = useId();
  const panel = useRef<HTMLDivElement>(null);
  const body = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  // Where focus was outside any dialog: a field's autoFocus may already have moved it inside
  // by the time the effect below runs.
  const lastOutside = useRef<HTMLElement | null>(null);
  useEffect(() => {
    onCloseRef.current = onClose;
  });
  useEffect(() => {
    const onFocusIn = (event: FocusEvent) => {
      const target = event.target;
      if (target instanceof HTMLElement && !target.closest('[role="dialog"]')) lastOutside.current = target;
    };
    if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) {
      lastOutside.current = document.activeElement;
    }
    document.addEventListener("focusin", onFocusIn);
    return () => document.removeEventListener("focusin", onFocusIn);
  }, []);

  useEffect(() => {
    if (!open) return;
    const node = panel.current;
    const active = document.activeElement;
    const previous =
      active instanceof HTMLElement && active !== document.body && !node?.contains(active) ? active : lastOutside.current;
    if (!node?.contains(document.activeElement)) {
      const first =
        body.current?.querySelector<HTMLElement>(FIELDS) ?? body.current?.querySelector<HTMLElement>(FOCUSABLE) ?? null;
      (first ?? node)?.focus();
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        onCloseRef.current();
      } else if (event.key === "Tab" && node) {
        const items = [...node.querySelectorAll<HTMLElement>(FOCUSABLE)];
        const head = items[0];
        const tail = items[items.length - 1];
        if (!head || !tail) return;
        if (event.shiftKey && document.activeElement === head) {
          event.preventDefault();
          tail.focus();
        } else if (!event.shiftKey && document.activeElement === tail) {
          event.preventDefault();
          head.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      if (previous?.isConnected) previous.focus();
    };
  }, [open]);

  if (!open) return null;
  return (
    // The toasts' room at the bottom (--toast-space) lifts the dialog above them.
    <div className="fixed inset-0 z-40 flex items-end justify-center bg-slate-950/50 p-0 pb-(--toast-space) sm:items-center sm:p-4 sm:pb-[max(1rem,var(--toast-space,0px))]">
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`max-h-[calc(92vh-var(--toast-space,0px))] w-full overflow-y-auto rounded-t-xl bg-white p-5 shadow-xl sm:rounded-xl dark:bg-slate-900 ${
          wide ? "sm:max-w-2xl" : "sm:max-w-lg"
        }`}
      >
        <div className="mb-4 flex items-start justify-between gap-4">
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          <button
            type="button"
            onClick={onClose}
            aria-label="Close dialog"
            className="-m-2 flex min-h-11 min-w-11 items-center justify-center rounded px-2 text-xl leading-none text-slate-600 hover:text-slate-900 sm:m-0 sm:min-h-0 sm:min-w-0 dark:text-slate-300"
          >
            ×
          </button>
        </div>
        <div ref={body}>{children}</div>
      </div>
    </div>
  );
}
