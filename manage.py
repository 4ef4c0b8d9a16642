#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huamu.settings")
    # manage.py is the developer's tool, so it runs in DEBUG unless told otherwise;
    # production sets DEBUG=false, and gunicorn (huamu.wsgi) never defaults to DEBUG.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
