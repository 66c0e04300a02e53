"""Accounts: ``users`` (admin management, invites), ``profile`` (each user's own
settings), ``auth_sessions`` (sign-in, session tokens, revocation), ``passwords``
(argon2, policy), ``setup`` (the first admin, by a one-time code) and ``throttle``
(sign-in rate limits and lockouts, in Redis)."""
