#!/usr/bin/env python
"""Django's command-line utility for a source checkout (the installed entry point is `thuocdo`)."""

import sys

from thuocdo.cli import main

if __name__ == "__main__":
    sys.exit(main())
