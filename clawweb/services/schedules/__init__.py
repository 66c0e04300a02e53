"""Schedules: task templates that run by cron in a time zone, or at a fixed interval.

- :mod:`.timing`: when a schedule is due (UTC in, UTC out; wall-clock cron in
  its zone, so "09:00 Europe/Berlin" stays 09:00 across a DST change).
- :mod:`.store`: the Schedule rows for editors: create, change, pause, resume,
  run now, delete; views with next run times and the run history.
- :mod:`.firing`: the loop's step: fire due schedules exactly once
  (compare-and-set on ``next_run_at``), apply the missed-run and overlap
  policies, start runs as tasks, follow them, retry with back-off, notify.
- :mod:`.loop`: that step on a timer, for the workers (``worker/schedule_loop.py``)
  and, optionally, beside the web app.

Plain Python (no Reflex).
"""
