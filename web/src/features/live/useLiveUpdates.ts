import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { startLiveUpdates } from "./stream";

/** Keeps the cache in step with changes made elsewhere while the signed-in app is shown. */
export function useLiveUpdates(): void {
  const qc = useQueryClient();
  useEffect(() => startLiveUpdates(qc), [qc]);
}
