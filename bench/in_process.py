"""Imported first by the benchmarks that run the project in their own process: the project's root ahead on
``sys.path`` (so that the apps win over this folder's scripts of the same name, such as ``notices``) and
Django set up with the test settings unless the environment names others."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ibank.settings")
os.environ.setdefault("IBANK_ENV", "test")

import django

django.setup()


def in_test_database(run) -> None:
    """``run()`` against a test database made for it (and dropped afterwards), never the configured one."""
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
