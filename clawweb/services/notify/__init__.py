"""Notifications: the in-app centre, Web Push and chat channels.

- ``events``: the one list of events worth a notification, with their deep links.
- ``centre``: Notification rows (what the bell counts), read state, retention.
- ``prefs``: which events go to which channel, per project or for all; quiet hours.
- ``push``: VAPID keys, browser subscriptions, sending; ``actions``: the
  single-use Approve/Deny tokens of a notification.
- ``channels`` (+ ``channel_kinds``): apprise targets of a user or a project.
- ``delivery``: a row first, then one RQ job per (notification, channel) with
  retries, a circuit breaker per channel, no duplicates and grouped bursts.
- ``hooks``: what the task and approval code calls; never raises.
- ``text``: titles and bodies in the recipient's language, short and inert.
"""
