"""``python -m clawweb.cli``: the same as the ``clawweb`` console script."""

import sys

from clawweb.cli.main import main

sys.exit(main())
