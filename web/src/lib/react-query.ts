/**
 * What a screen may add to a mutation hook: callbacks that run after the hook's own (cache
 * updates, rollback). They are given to useMutation itself, not to mutate(), so they still run
 * when the component that started the mutation has gone (a row that left a filtered list).
 */
export interface MutationCallbacks<TData, TVariables> {
  onSuccess?: (data: TData, variables: TVariables) => void;
  onError?: (error: Error, variables: TVariables) => void;
}
