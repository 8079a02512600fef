"""Comments on tasks: plain text by the members of the task's project, newest last."""
