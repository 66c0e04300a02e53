"""Tasks: ``service`` (submit, cancel, re-run, read, why a task waits), ``queue``
(state transitions, per-project dispatch to RQ, the sweep), ``output`` (a
task's events from the database and its Redis stream) and ``views`` (the small
read models pages show)."""
