"""`python -m portal`: the same commands as `python build.py` and the `portal` command."""
import sys

from portal.cli import main

sys.exit(main())
