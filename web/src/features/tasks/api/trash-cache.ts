import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { components } from "../../../api/schema";

export type TrashedTask = components["schemas"]["TrashedTaskOut"];
export type TrashPage = components["schemas"]["TrashPage"];
export type TrashPages = InfiniteData<TrashPage, string | null>;

/** Query keys of the Trash. */
export const trashKeys = {
  all: ["trash"] as const,
  list: () => ["trash", "list"] as const,
};

/** Takes tasks out of the cached Trash (restored or deleted for good, here or elsewhere). */
export function dropFromTrash(qc: QueryClient, ids: ReadonlySet<string>): void {
  qc.setQueryData<TrashPages>(trashKeys.list(), (data) =>
    data
      ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => !ids.has(t.id)) })) }
      : data,
  );
}
