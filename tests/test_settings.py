import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.env import database_from_env, env_bool, env_headers, env_proxy_ssl_header, q_cluster_from_env

TEMPLATE_DIRS = ["templates", "escalations/templates", "templates_app/templates", "reporting/templates"]
DEV_COMMANDS = {"seed_demo", "seed_templates", "seed_volume", "bench", "benchmark_desk"}
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.IGNORECASE)


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


def test_production_settings_pass_the_deployment_check_without_a_warning():
    env = {
        "PATH": "",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "k3y-" + "".join(chr(ord("a") + i % 26) for i in range(60)),
        "ALLOWED_HOSTS": "desk.example.com",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto=https",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("switches", "installed"),
    [({"DEBUG": "0"}, False), ({"DEBUG": "1"}, True), ({"DEBUG": "0", "DEVTOOLS": "1"}, True)],
)
def test_production_has_no_seed_or_benchmark_commands_unless_debug_or_devtools_asks(switches, installed):
    env = {"PATH": "", "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "not-a-secret", **switches}
    listing = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert DEV_COMMANDS & set(listing) == (DEV_COMMANDS if installed else set())
    assert "import_escalation_config" in listing


def test_a_proxy_names_its_https_header_as_it_writes_it():
    assert env_proxy_ssl_header({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto=https"}, "SECURE_PROXY_SSL_HEADER") == (
        "HTTP_X_FORWARDED_PROTO",
        "https",
    )
    assert env_proxy_ssl_header({}, "SECURE_PROXY_SSL_HEADER") is None
    with pytest.raises(ImproperlyConfigured, match="Header-Name=value"):
        env_proxy_ssl_header({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "SECURE_PROXY_SSL_HEADER")


def test_the_sign_in_address_headers_are_read_as_request_meta_keys():
    env = {"AXES_IPWARE_META_PRECEDENCE_ORDER": "X-Forwarded-For, HTTP_X_REAL_IP, REMOTE_ADDR"}
    assert env_headers(env, "AXES_IPWARE_META_PRECEDENCE_ORDER", []) == [
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_REAL_IP",
        "REMOTE_ADDR",
    ]


@pytest.mark.parametrize("folder", TEMPLATE_DIRS)
def test_no_template_runs_inline_script_or_style(folder):
    """The Content-Security-Policy allows scripts and styles from our static files only."""
    offenders = [
        f"{path}: {match.group()}"
        for path in sorted(Path(settings.BASE_DIR, folder).rglob("*.html"))
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_every_page_forbids_inline_scripts_and_styles(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_signed_in_pages_are_kept_by_no_cache(client, desk):
    client.force_login(desk.l1_agent)
    cache_control = client.get(reverse("escalations:queue"))["Cache-Control"]
    assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}


@pytest.mark.django_db
def test_the_health_check_and_static_files_keep_their_caching(client):
    assert "no-store" not in client.get(reverse("healthz")).get("Cache-Control", "")
    assert "no-store" not in client.get("/static/css/desk.css").get("Cache-Control", "")


@pytest.mark.django_db
def test_the_session_cookie_lasts_twelve_hours_and_is_out_of_scripts_reach(client, django_user_model):
    django_user_model.objects.create_user("alice.l1", password="correct-horse-battery")
    client.post(reverse("login"), {"username": "alice.l1", "password": "correct-horse-battery"})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["max-age"], cookie["httponly"], cookie["samesite"]) == (12 * 3600, True, "Lax")
