import { useLocation, useSearchParams } from "react-router";

/** The project the tasks screen shows (`/tasks?project=<id>`), if any. */
export function useViewedProjectId(): string | undefined {
  const { pathname } = useLocation();
  const [params] = useSearchParams();
  return pathname === "/tasks" ? params.get("project") || undefined : undefined;
}
