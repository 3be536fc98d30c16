"""Settings for the benchmarks' throwaway databases (and `make bench`): the real settings, SQLite at $BENCHMARK_SQLITE.

PostgreSQL needs nothing here: each size gets its own DATABASE_URL, which config.settings already reads.
"""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
os.environ["DEVTOOLS"] = "1"  # the throwaway databases are seeded with seed_volume

from config.env import database_from_env
from config.settings import *  # noqa: F403 - the real settings, with one database swapped

if os.environ.get("BENCHMARK_SQLITE") and not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_env({}, os.environ["BENCHMARK_SQLITE"])}
