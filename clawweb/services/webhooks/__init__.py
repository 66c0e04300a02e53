"""Inbound webhooks: forges (and anything that can sign) start work in a project.

- :mod:`.signatures`: is a delivery from the forge? One verifier per forge,
  constant-time, and the delivery id each forge sends for de-duplication.
- :mod:`.events`: a verified payload turned into a :class:`events.Trigger`
  (push, comment, pull request opened), with the event's own time.
- :mod:`.rules`: which rule a trigger matches and the task it asks for.
- :mod:`.store`: the Webhook rows (secret encrypted, shown once), for owners.
- :mod:`.intake`: the HTTP side: verify, cap, de-duplicate, log, answer 202,
  enqueue ``worker.webhook_jobs.process_delivery``.
- :mod:`.processing`: the RQ job's body: run the matching rule as the
  webhook's owner and reply on the forge with a link.

Plain Python (no Reflex); the worker imports it, the web side never imports
the worker.
"""
