"""Review and ship a task's work, read only from git objects of the bare repository.

- :mod:`.gitobj`: the few plumbing calls everything else is built on (through
  the hardened :func:`clawweb.services.git.run_git`).
- :mod:`.diff`: changed files, per-file patches in windows, commits of a branch.
- :mod:`.tree`: directories and files of any commit (the file browser).
- :mod:`.merge`: fast-forward, merge commit or squash into the default branch
  without a working tree; discard; patch and bundle export.
- :mod:`.commit_message`: the auto-commit message and author of a task.
- :mod:`.access`: who may ship (the project's ``ship_role``).
- :mod:`.service`: the access-checked, audited functions the UI and HTTP routes call.

Nothing here walks a working copy: a task's files are blobs, its symlinks are
blobs holding their target text, so nothing a task planted is ever followed.
"""
