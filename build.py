"""Build, check and serve the equality evidence portal: `python build.py --help` (the same as the `portal` command)."""
import sys

from portal.cli import main

if __name__ == "__main__":
    sys.exit(main())
