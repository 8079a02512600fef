import { useId, useMemo, useState, type SyntheticEvent } from "react";
import { describeError } from "../../../api/problem";
import { useAuth } from "../../../auth/auth-context";
import { ErrorState, LoadingList } from "../../../components/States";
import { useToast } from "../../../components/toast-context";
import { useClock } from "../../../lib/clock";
import { formatFull } from "../../../lib/dates";
import { formatRelative } from "../../../lib/format";
import { useAddComment } from "../api/add-comment";
import type { Comment } from "../api/comment-cache";
import { useDeleteComment } from "../api/delete-comment";
import { useEditComment } from "../api/edit-comment";
import { useComments } from "../api/get-comments";
import { LinkifiedText } from "./LinkifiedText";

export const BODY_MAX = 5000;

/** A task's comments, newest last, and the box to add one (editors and owners of its project). */
export function Comments({ taskId, canWrite }: { taskId: string; canWrite: boolean }) {
  const list = useComments(taskId);
  const comments = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="text-lg font-semibold">
        Comments
      </h2>
      {list.isPending ? (
        <LoadingList rows={2} label="Loading the comments" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <>
          {comments.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">No comments yet.</p>
          ) : (
            <ol aria-label="Comments" className="space-y-3">
              {comments.map((comment) => (
                <CommentItem key={comment.id} comment={comment} canWrite={canWrite} />
              ))}
            </ol>
          )}
          {list.hasNextPage && (
            <button type="button" className="btn-secondary" onClick={() => void list.fetchNextPage()}>
              Show newer comments
            </button>
          )}
        </>
      )}
      {canWrite ? (
        <CommentForm taskId={taskId} />
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-400">You can read this project&rsquo;s comments; its editors and owners add them.</p>
      )}
    </section>
  );
}

function CommentForm({ taskId }: { taskId: string }) {
  const { toast } = useToast();
  const [body, setBody] = useState("");
  const id = useId();
  const add = useAddComment({
    onSuccess: () => setBody(""),
    onError: (error) => toast({ kind: "error", message: `Comment not added: ${describeError(error)}` }),
  });
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    if (body.trim()) add.mutate({ taskId, body });
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <label htmlFor={id} className="block text-sm font-medium">
        Add a comment
      </label>
      <textarea
        id={id}
        className="input min-h-20"
        value={body}
        maxLength={BODY_MAX}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
        }}
        placeholder="Plain text; links become links"
      />
      <button type="submit" className="btn-primary" disabled={!body.trim() || add.isPending}>
        {add.isPending ? "Adding…" : "Comment"}
      </button>
    </form>
  );
}

function CommentItem({ comment, canWrite }: { comment: Comment; canWrite: boolean }) {
  const { user } = useAuth();
  const { zone, locale } = useClock();
  const { toast } = useToast();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(comment.body);
  const editId = useId();
  const edit = useEditComment({
    onError: (error) => toast({ kind: "error", message: `Comment not changed: ${describeError(error)}` }),
  });
  const remove = useDeleteComment({
    onSuccess: () => toast({ message: "Comment deleted" }),
    onError: (error) => toast({ kind: "error", message: `Comment not deleted: ${describeError(error)}` }),
  });
  const mine = canWrite && user !== undefined && comment.author_id === user.id;
  const save = (e: SyntheticEvent) => {
    e.preventDefault();
    if (!draft.trim()) return;
    if (draft !== comment.body) edit.mutate({ comment, body: draft });
    setEditing(false);
  };
  return (
    <li className="rounded-lg border border-slate-200 p-3 dark:border-slate-800" data-comment={comment.id}>
      <div className="flex flex-wrap items-baseline gap-x-2 text-sm">
        <span className="font-medium">{comment.author_name}</span>
        <time dateTime={comment.created_at} title={formatFull(comment.created_at, zone, locale)} className="text-slate-600 dark:text-slate-400">
          {formatRelative(comment.created_at)}
        </time>
        {comment.edited_at && (
          <span className="text-slate-600 dark:text-slate-400" title={formatFull(comment.edited_at, zone, locale)}>
            (edited)
          </span>
        )}
        {mine && !editing && (
          <span className="ml-auto flex gap-2">
            <button
              type="button"
              className="text-sm underline hover:no-underline"
              onClick={() => {
                setDraft(comment.body);
                setEditing(true);
              }}
              aria-label="Edit your comment"
            >
              Edit
            </button>
            <button type="button" className="text-sm text-rose-700 underline hover:no-underline dark:text-rose-300" onClick={() => remove.mutate(comment)} aria-label="Delete your comment">
              Delete
            </button>
          </span>
        )}
      </div>
      {editing ? (
        <form onSubmit={save} className="mt-2 space-y-2">
          <label htmlFor={editId} className="sr-only">
            Your comment
          </label>
          <textarea id={editId} className="input min-h-20" value={draft} maxLength={BODY_MAX} onChange={(e) => setDraft(e.target.value)} />
          <div className="flex gap-2">
            <button type="submit" className="btn-primary" disabled={!draft.trim()}>
              Save
            </button>
            <button type="button" className="btn-secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p className="mt-1 whitespace-pre-wrap break-words">
          <LinkifiedText text={comment.body} />
        </p>
      )}
    </li>
  );
}
