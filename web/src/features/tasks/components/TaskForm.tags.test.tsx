import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { parseTags } from "../../../lib/validation";
import { TaskForm } from "./TaskForm";

function renderForm() {
  const onSubmit = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user: { timezone: "UTC" } as User } as AuthApi}>
        <TaskForm onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return onSubmit;
}

it("reads #home as the tag home", () => {
  expect(parseTags("#Home, ##work ,  # errands, home")).toEqual(["home", "work", "errands"]);
});

it("accepts tags typed with a #", async () => {
  const onSubmit = renderForm();
  await userEvent.type(screen.getByLabelText("Title"), "Water the plants");
  await userEvent.type(screen.getByLabelText("Tags"), "#home, #garden");
  await userEvent.click(screen.getByRole("button", { name: "Create task" }));
  expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ tags: ["home", "garden"] }));
});

it("names the invalid tag in its message", async () => {
  const onSubmit = renderForm();
  await userEvent.type(screen.getByLabelText("Title"), "Water the plants");
  await userEvent.type(screen.getByLabelText("Tags"), "home, gar*den");
  await userEvent.click(screen.getByRole("button", { name: "Create task" }));
  expect(onSubmit).not.toHaveBeenCalled();
  expect(screen.getByText("“gar*den” is not a tag: tags are up to 32 letters, digits, spaces or . - / _")).toBeInTheDocument();
});
