"""A project's remote: where its work is pushed and synced from, and how clawweb signs in.

- :mod:`.urls`: a remote URL parsed once, strictly (no credentials, public hosts
  unless the operator listed a private one).
- :mod:`.keys`: ed25519 deploy keys and SSH fingerprints.
- :mod:`.transport`: the per-call git options and environment that carry a
  token or a deploy key, never through argv, a URL or the repository's config.
- :mod:`.net`: network git through that transport, errors redacted and classified.
- :mod:`.store`: the ProjectRemote row (secrets encrypted), its masked view.
- :mod:`.access`: who may push, sync and open pull requests.
- :mod:`.clone`, :mod:`.sync`, :mod:`.push`, :mod:`.pull_requests`: the actions.

Plain Python (no Reflex). Credentials are opened only inside these modules and
only for the duration of one git or forge call; they never reach a task's
container (tasks clone the local bare repository), an event, a log or the UI.
"""
