import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { taskKeys } from "../../tasks/api/task-cache";
import { commentKeys, removeComment, type Comment } from "./comment-cache";

export async function deleteComment(comment: Comment): Promise<void> {
  unwrap(
    await api.DELETE("/api/v1/tasks/{task_id}/comments/{comment_id}", {
      params: { path: { task_id: comment.task_id, comment_id: comment.id } },
    }),
  );
}

/** Deletes one's own comment: gone at once, back (the list read again) if the server refuses. */
export function useDeleteComment({ onSuccess, onError }: MutationCallbacks<void, Comment> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteComment,
    onMutate: (comment) => removeComment(qc, comment.task_id, comment.id),
    onError: (error, comment) => {
      void qc.invalidateQueries({ queryKey: commentKeys.of(comment.task_id) });
      onError?.(error, comment);
    },
    onSuccess: (_, comment) => {
      void qc.invalidateQueries({ queryKey: taskKeys.detail(comment.task_id) });
      onSuccess?.(undefined, comment);
    },
  });
}
