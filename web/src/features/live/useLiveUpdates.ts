import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { startSharedLiveUpdates } from "./shared-stream";

/**
 * Keeps the cache in step with changes made elsewhere while the signed-in app is shown, over
 * one stream shared by every tab of the browser.
 */
export function useLiveUpdates(): void {
  const qc = useQueryClient();
  useEffect(() => startSharedLiveUpdates(qc), [qc]);
}
