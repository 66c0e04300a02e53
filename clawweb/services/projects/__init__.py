"""Projects: ``service`` (create, read), ``settings``, ``deletion``, ``members``, and
``views`` (the small read models pages show). Who may do what: ``services/access.py``."""
