import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { taskKeys } from "../../tasks/api/task-cache";
import { appendComment, type Comment } from "./comment-cache";

export interface AddCommentInput {
  taskId: string;
  body: string;
}

export async function addComment({ taskId, body }: AddCommentInput): Promise<Comment> {
  return unwrap(await api.POST("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId } }, body: { body } }));
}

/**
 * Adds a comment: the answer goes at the end of the task's comments; the task (its count) is
 * read again. The lists' counts come with the comment's live event.
 */
export function useAddComment({ onSuccess, onError }: MutationCallbacks<Comment, AddCommentInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: addComment,
    onSuccess: (comment, input) => {
      appendComment(qc, comment);
      void qc.invalidateQueries({ queryKey: taskKeys.detail(input.taskId) });
      onSuccess?.(comment, input);
    },
    onError,
  });
}
