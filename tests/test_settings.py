import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_env, env_bool, q_cluster_from_env


def test_it_uses_sqlite_with_wal_and_immediate_transactions_by_default():
    database = database_from_env({}, "/tmp/desk.sqlite3")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_it_switches_to_postgresql_on_database_url():
    database = database_from_env({"DATABASE_URL": "postgres://desk:pw@db.internal:5433/desk"}, "unused")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "db.internal",
        5433,
        "desk",
        "desk",
    )


def test_it_refuses_a_database_url_it_does_not_support():
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        database_from_env({"DATABASE_URL": "mysql://root@localhost/desk"}, "unused")


def test_it_uses_the_orm_broker_unless_redis_url_is_set():
    assert q_cluster_from_env({})["orm"] == "default"
    cluster = q_cluster_from_env({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert cluster["redis"] == "redis://127.0.0.1:6379/3" and "orm" not in cluster


def test_it_refuses_a_malformed_boolean():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool({"DEBUG": "maybe"}, "DEBUG")
    assert env_bool({"DEBUG": "yes"}, "DEBUG") is True
    assert env_bool({}, "DEBUG") is False


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {"PATH": "", "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
