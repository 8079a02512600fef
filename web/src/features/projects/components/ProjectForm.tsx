import { useState, type SyntheticEvent } from "react";
import { Field } from "../../../components/Field";
import type { ProjectCreate } from "../api/project-keys";

const NAME_MAX = 100;
export const DEFAULT_COLOUR = "#3b82f6";

interface Props {
  initial?: { name: string; colour: string };
  submitLabel: string;
  busy?: boolean;
  serverErrors?: Record<string, string>;
  onSubmit: (body: Required<Pick<ProjectCreate, "name" | "colour">>) => void;
  onCancel: () => void;
}

/** A project's name and colour. */
export function ProjectForm({ initial, submitLabel, busy, serverErrors = {}, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(initial?.name ?? "");
  const [colour, setColour] = useState(initial?.colour ?? DEFAULT_COLOUR);
  const [error, setError] = useState<string | undefined>();

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const clean = name.trim();
    const found = !clean ? "Give the project a name." : clean.length > NAME_MAX ? `Use at most ${NAME_MAX} characters.` : undefined;
    setError(found);
    if (!found) onSubmit({ name: clean, colour });
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      <Field label="Name" name="name" value={name} autoFocus onChange={(e) => setName(e.target.value)} error={error ?? serverErrors.name} />
      <Field
        label="Colour"
        name="colour"
        type="color"
        value={colour}
        onChange={(e) => setColour(e.target.value)}
        error={serverErrors.colour}
      />
      <div className="flex justify-end gap-2 pt-2">
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
