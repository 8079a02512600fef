import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { components } from "../../../api/schema";

export type RecurrencePreview = components["schemas"]["RecurrencePreview"];

export interface PreviewInput {
  rule: string;
  /** The first due: a local "2026-12-07T09:00" (in `tz`) or a date "2026-12-07". */
  start: string;
  tz: string;
  count?: number;
}

export async function previewRecurrence({ rule, start, tz, count = 4 }: PreviewInput, signal?: AbortSignal): Promise<RecurrencePreview> {
  return unwrap(await api.GET("/api/v1/recurrence/preview", { params: { query: { rule, start, tz, count } }, signal }));
}

/** The first occurrences of a rule as the server evaluates it (none asked without a rule or a start). */
export function useRecurrencePreview(input: PreviewInput | null) {
  return useQuery({
    queryKey: ["recurrence-preview", input],
    queryFn: ({ signal }) => previewRecurrence(input as PreviewInput, signal),
    enabled: input !== null,
    retry: false,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}
