import { join, resolve } from "node:path";

export const WEB = resolve(import.meta.dirname, "..");
/** Screenshots of the screens the tests visit, for people to look at. */
export const ARTIFACTS = join(WEB, "test-artifacts");
