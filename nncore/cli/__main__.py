"""``python -m nncore.cli``: the command line without the launcher."""

import sys

from nncore.cli import main

sys.exit(main())
