/** The drag data type of a task (its id): list rows and board cards carry it, projects in the sidebar take it. */
export const TASK_DRAG_TYPE = "application/x-tasklane-task";
