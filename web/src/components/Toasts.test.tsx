import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useToast } from "./toast-context";
import { ToastProvider } from "./Toasts";

function Trigger() {
  const { toast } = useToast();
  return (
    <button type="button" onClick={() => toast({ message: "Task saved" })}>
      Save
    </button>
  );
}

const space = () => document.documentElement.style.getPropertyValue("--toast-space");

describe("toasts", () => {
  it("reserve room at the bottom of the page while shown, so they cover no control", async () => {
    const user = userEvent.setup();
    render(
      <ToastProvider>
        <Trigger />
      </ToastProvider>,
    );
    expect(space()).toBe("0px");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByRole("status")).toHaveTextContent("Task saved");
    expect(parseInt(space(), 10)).toBeGreaterThan(0);
    await act(async () => {
      await user.click(screen.getByRole("button", { name: "Dismiss notification" }));
    });
    expect(space()).toBe("0px");
  });
});
