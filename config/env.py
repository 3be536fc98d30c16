"""Read settings from the environment; a malformed value fails loudly at start-up."""

from collections.abc import Mapping

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(environ: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(environ: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(environ: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def meta_key(header: str) -> str:
    """The request.META key of an HTTP header as a proxy names it: X-Forwarded-Proto → HTTP_X_FORWARDED_PROTO."""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") or key == "REMOTE_ADDR" else f"HTTP_{key}"


def env_headers(environ: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    """Header names, comma-separated, as request.META keys."""
    return [meta_key(header) for header in env_list(environ, name, default)]


def env_proxy_ssl_header(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto=https`: the header (and value) a TLS-terminating proxy sets on HTTPS requests."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    header, separator, value = raw.partition("=")
    if not separator or not header.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not of the form Header-Name=value (e.g. X-Forwarded-Proto=https)"
        )
    return meta_key(header), value.strip()


def database_from_env(environ: Mapping[str, str], sqlite_path: str) -> dict:
    """PostgreSQL when DATABASE_URL is set, otherwise an embedded SQLite file.

    SQLite runs in WAL mode with IMMEDIATE transactions so that the web server and
    the django-q2 cluster can write at once without "database is locked".
    """
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA optimize=0x10002;",
            },
        }
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, got {url.split(':', 1)[0]}://…")
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    config.setdefault("TEST", {})
    return config


def q_cluster_from_env(environ: Mapping[str, str]) -> dict:
    """django-q2 uses the ORM broker by default and Redis when REDIS_URL is set."""
    cluster = {
        "name": "escalation-desk",
        # The clock runs beside the tasks, in a thread of each worker (escalations.services.clock_loop),
        # so all four workers deliver notifications and recompute deadlines.
        "workers": 4,
        "timeout": 120,
        "retry": 180,
        "max_attempts": 3,
        "catch_up": False,
        "label": "Task queue",
    }
    redis_url = environ.get("REDIS_URL", "").strip()
    if redis_url:
        if not redis_url.startswith(("redis://", "rediss://")):
            raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")
        cluster["redis"] = redis_url
    else:
        cluster["orm"] = "default"
    return cluster
