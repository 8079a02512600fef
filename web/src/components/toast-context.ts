import { createContext, useContext } from "react";

export interface ToastOptions {
  message: string;
  kind?: "success" | "error" | "info";
  action?: { label: string; onClick: () => void };
  /** Milliseconds; errors stay longer. */
  duration?: number;
  /** Called once when the toast goes away, with whether its action was used. */
  onClose?: (actioned: boolean) => void;
}

export interface ToastApi {
  toast: (options: ToastOptions) => void;
}

export const ToastContext = createContext<ToastApi | null>(null);

export function useToast(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error("useToast outside ToastProvider");
  return api;
}
