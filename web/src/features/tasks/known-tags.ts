import { useQueryClient } from "@tanstack/react-query";
import type { TaskPages } from "./api/task-cache";
import { taskKeys } from "./api/task-cache";

/** The tags on every task the app has loaded, most used first (then A–Z). */
export function useKnownTags(): string[] {
  const qc = useQueryClient();
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const [, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    for (const task of data?.pages.flatMap((p) => p.items) ?? []) {
      if (seen.has(task.id)) continue;
      seen.add(task.id);
      for (const tag of task.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([tag]) => tag);
}

/** A tag as typed: "#Home " is "home". */
export function cleanTag(text: string): string {
  return text.trim().replace(/^#+/, "").trim().toLowerCase();
}
