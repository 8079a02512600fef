// Ends the run with one plain line, "N passed, N failed" (and skipped, flaky), the closing line
// the scripts that run this suite read.
import type { Reporter, TestCase } from "@playwright/test/reporter";

export default class SummaryReporter implements Reporter {
  private readonly outcomes = new Map<string, ReturnType<TestCase["outcome"]>>();

  onTestEnd(test: TestCase): void {
    this.outcomes.set(test.id, test.outcome());
  }

  onEnd(): void {
    const count = (outcome: string) => [...this.outcomes.values()].filter((o) => o === outcome).length;
    const passed = count("expected") + count("flaky");
    const failed = count("unexpected");
    const skipped = count("skipped");
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
