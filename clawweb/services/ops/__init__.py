"""What operators look at: queues, workers, usage, per-agent KPIs.

Plain functions over the database and Redis, shared by ``/metrics`` (computed
at scrape time), ``/api/ready``, the admin pages and ``doctor``. Nothing here
checks the caller: the admin state and the metrics route do.
"""
