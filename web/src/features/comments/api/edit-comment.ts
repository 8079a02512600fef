import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { replaceComment, type Comment } from "./comment-cache";

export interface EditCommentInput {
  comment: Comment;
  body: string;
}

export async function editComment({ comment, body }: EditCommentInput): Promise<Comment> {
  return unwrap(
    await api.PATCH("/api/v1/tasks/{task_id}/comments/{comment_id}", {
      params: { path: { task_id: comment.task_id, comment_id: comment.id } },
      body: { body },
    }),
  );
}

/** Edits one's own comment: shown at once, put back if the server refuses. */
export function useEditComment({ onSuccess, onError }: MutationCallbacks<Comment, EditCommentInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: editComment,
    onMutate: ({ comment, body }) => {
      replaceComment(qc, { ...comment, body });
      return comment;
    },
    onError: (error, input, before) => {
      if (before) replaceComment(qc, before);
      onError?.(error, input);
    },
    onSuccess: (comment, input) => {
      replaceComment(qc, comment);
      onSuccess?.(comment, input);
    },
  });
}
