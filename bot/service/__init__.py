"""`paperboy run` and what it schedules: the service process, its jobs, its health."""
