import type { components } from "./schema";

export type Task = components["schemas"]["TaskOut"];
export type TaskPage = components["schemas"]["TaskPage"];
export type TaskCreate = components["schemas"]["TaskCreate"];
export type TaskUpdate = components["schemas"]["TaskUpdate"];
export type TaskStats = components["schemas"]["TaskStats"];
export type User = components["schemas"]["UserOut"];
export type Preferences = components["schemas"]["Preferences"];
export type Status = Task["status"];
export type Priority = Task["priority"];
export type FieldError = components["schemas"]["FieldError"];

/** An RFC 9457 problem document as the API sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[] | null;
  /** On 412: the task as it is now. */
  current?: Task;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** Field errors keyed by the field's name (the last part of its dotted path). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) {
      const key = e.field.split(".")[0] ?? e.field;
      out[key] ??= e.message.replace(/^Value error, /, "");
    }
    return out;
  }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "status" in value && "title" in value;
}

/** Turns an openapi-fetch result into its data, or throws an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { response } = result;
  if (response.ok) return result.data as T;
  const retry = response.headers.get("Retry-After");
  const problem: Problem = isProblem(result.error)
    ? result.error
    : {
        type: "about:blank",
        title: response.statusText || "Request failed",
        status: response.status,
        detail: typeof result.error === "string" && result.error ? result.error : "Request failed.",
      };
  throw new ApiError(problem, retry && /^\d+$/.test(retry) ? Number(retry) : null);
}

/** A wait as people say it: "40 seconds", "1 minute", "9 minutes" (rounded up), "2 hours". */
export function waitFor(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), "second");
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return plural(minutes, "minute");
  return plural(Math.ceil(minutes / 60), "hour");
}

/** A sentence for a toast or an error state. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      return error.retryAfter
        ? `Too many attempts. Try again in ${waitFor(error.retryAfter)}.`
        : "Too many attempts. Wait a moment and try again.";
    }
    return error.problem.detail || error.problem.title;
  }
  if (error instanceof TypeError) return "Cannot reach the server. Check your connection.";
  return error instanceof Error ? error.message : "Something went wrong.";
}
