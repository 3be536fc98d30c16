"""Settings for the test suite: the real settings, a throwaway key and a fast password hasher."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ["DEVTOOLS"] = "1"  # the tests seed demo data and run the benchmarks whatever the shell says

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client and the browser tests' live server speak plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False

# Uploaded evidence goes to a throwaway folder, never into the work tree.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "escalation-desk-test-media"
