import { useId, useState, type SyntheticEvent } from "react";
import { ApiError, describeError } from "../../../api/problem";
import { Dialog } from "../../../components/Dialog";
import { Field } from "../../../components/Field";
import { useAuth } from "../../../auth/auth-context";
import { useToast } from "../../../components/toast-context";
import { useAddMember } from "../api/add-member";
import { useCancelInvitation } from "../api/cancel-invitation";
import { useChangeRole } from "../api/change-role";
import { useMembers } from "../api/get-members";
import { useRemoveMember } from "../api/remove-member";
import type { Project, Role } from "../api/project-keys";
import { useUpdateProject } from "../api/update-project";
import { ProjectForm } from "./ProjectForm";

const ROLES: { value: Role; label: string }[] = [
  { value: "viewer", label: "Viewer (reads)" },
  { value: "editor", label: "Editor (adds and changes tasks)" },
  { value: "owner", label: "Owner (also manages the project)" },
];
const ROLE_LABEL: Record<Role, string> = { viewer: "Viewer", editor: "Editor", owner: "Owner" };

interface Props {
  project: Project;
  open: boolean;
  onClose: () => void;
  /** After the project was archived (it leaves the list). */
  onArchived: () => void;
}

/** A project's name and colour, archiving, and who it is shared with (owners change these). */
export function ProjectSettingsDialog({ project, open, onClose, onArchived }: Props) {
  const { toast } = useToast();
  const owner = project.role === "owner";
  const [errors, setErrors] = useState<Record<string, string>>({});
  // Hook-level callbacks: they still run once an archived project (and this dialog) has gone.
  const update = useUpdateProject({
    onSuccess: (saved) => {
      if (!saved.archived_at) {
        toast({ kind: "success", message: "Project saved" });
        return;
      }
      toast({ kind: "success", message: `“${saved.name}” archived` });
      onArchived();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else toast({ kind: "error", message: `Not saved: ${describeError(error)}` });
    },
  });

  return (
    <Dialog open={open} title={`${project.name} settings`} onClose={onClose} wide>
      <div className="space-y-6">
        {owner && !project.is_inbox ? (
          <section aria-labelledby="project-details" className="space-y-3">
            <h3 id="project-details" className="font-semibold">
              Name and colour
            </h3>
            <ProjectForm
              key={project.version}
              initial={{ name: project.name, colour: project.colour }}
              submitLabel="Save"
              busy={update.isPending}
              serverErrors={errors}
              onCancel={onClose}
              onSubmit={(body) => {
                setErrors({});
                update.mutate({ id: project.id, patch: body });
              }}
            />
            <button
              type="button"
              className="btn-secondary"
              disabled={update.isPending}
              onClick={() => update.mutate({ id: project.id, patch: { archived: true } })}
            >
              Archive project
            </button>
          </section>
        ) : (
          project.is_inbox && <p className="text-sm text-slate-600 dark:text-slate-400">The Inbox is yours alone: it cannot be renamed, archived or shared.</p>
        )}
        {!project.is_inbox && open && <Sharing project={project} />}
      </div>
    </Dialog>
  );
}

function Sharing({ project }: { project: Project }) {
  const ids = useId();
  const { toast } = useToast();
  const members = useMembers(project.id);
  const owner = project.role === "owner";
  const me = useAuth().user?.id;
  const remove = useRemoveMember({
    onSuccess: (_r, { userId }) => toast({ kind: "success", message: userId === me ? `You left “${project.name}”` : "Member removed" }),
    onError: (error) => toast({ kind: "error", message: describeError(error) }),
  });
  const changeRole = useChangeRole({
    onSuccess: (_r, { role }) => toast({ kind: "success", message: `Role changed to ${ROLE_LABEL[role]}` }),
    onError: (error) => toast({ kind: "error", message: `Role not changed: ${describeError(error)}` }),
  });
  const cancel = useCancelInvitation({
    onSuccess: () => toast({ kind: "success", message: "Invitation withdrawn" }),
    onError: (error) => toast({ kind: "error", message: describeError(error) }),
  });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [error, setError] = useState<string | undefined>();
  const add = useAddMember({
    onSuccess: (result, { body }) => {
      setEmail("");
      toast({ kind: "success", message: result === "invited" ? `Invitation sent to ${body.email}` : `Shared with ${body.email}` });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setError(error.fieldErrors().email ?? describeError(error));
      else toast({ kind: "error", message: `Not shared: ${describeError(error)}` });
    },
  });

  function share(event: SyntheticEvent) {
    event.preventDefault();
    const clean = email.trim();
    const found = /^[^\s@]+@[^\s@]+$/.test(clean) ? undefined : "Enter an email address.";
    setError(found);
    if (!found) add.mutate({ id: project.id, body: { email: clean, role } });
  }

  return (
    <section aria-labelledby={`${ids}-sharing`} className="space-y-3">
      <h3 id={`${ids}-sharing`} className="font-semibold">
        Shared with
      </h3>
      {members.isPending ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Loading members…</p>
      ) : members.isError ? (
        <p className="text-sm text-rose-700 dark:text-rose-300">Members could not be loaded.</p>
      ) : (
        <ul aria-label="Members" className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
          {members.data.members.map((m) => (
            <li key={m.user_id} className="flex items-center justify-between gap-3 py-2">
              <span className="min-w-0 truncate">
                {m.name} <span className="text-slate-600 dark:text-slate-400">{m.email}</span>
              </span>
              <span className="flex items-center gap-2">
                {owner && m.user_id !== me ? (
                  <select
                    className="input w-auto"
                    aria-label={`Role of ${m.name}`}
                    value={m.role}
                    disabled={changeRole.isPending}
                    onChange={(e) => changeRole.mutate({ id: project.id, userId: m.user_id, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {ROLE_LABEL[r.value]}
                      </option>
                    ))}
                  </select>
                ) : (
                  ROLE_LABEL[m.role]
                )}
                {(owner || m.user_id === me) && (
                  <button
                    type="button"
                    className="btn-secondary"
                    disabled={remove.isPending}
                    aria-label={m.user_id === me ? undefined : `Remove ${m.name}`}
                    onClick={() => remove.mutate({ id: project.id, userId: m.user_id })}
                  >
                    {m.user_id === me ? "Leave" : "Remove"}
                  </button>
                )}
              </span>
            </li>
          ))}
          {members.data.invitations.map((i) => (
            <li key={i.id} className="flex items-center justify-between gap-3 py-2">
              <span className="min-w-0 truncate">{i.email}</span>
              <span className="flex items-center gap-2">
                {ROLE_LABEL[i.role]}, invited
                {owner && (
                  <button
                    type="button"
                    className="btn-secondary"
                    disabled={cancel.isPending}
                    aria-label={`Withdraw the invitation to ${i.email}`}
                    onClick={() => cancel.mutate({ id: project.id, invitationId: i.id })}
                  >
                    Withdraw
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {owner && (
        <form noValidate onSubmit={share} className="grid gap-3 sm:grid-cols-[1fr_auto_auto] sm:items-end">
          <Field label="Email" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={error} />
          <div>
            <label htmlFor={`${ids}-role`} className="mb-1 block text-sm font-medium">
              Role
            </label>
            <select id={`${ids}-role`} className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="btn-primary" disabled={add.isPending}>
            Share
          </button>
        </form>
      )}
    </section>
  );
}
