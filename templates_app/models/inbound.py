"""Outside systems (the CRM, the publishing pipeline, monitoring) that post inbound events to the desk."""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class InboundSource(models.Model):
    """One outside system, its secret token (only the hash is kept) and the system user it acts as."""

    slug = models.SlugField(max_length=50, unique=True, help_text="In its address: /templates/inbound/<slug>/")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inbound_source", editable=False
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["token_hash"])  # a new token shows as the change reason

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def accepts(self, token: str) -> bool:
        return self.is_active and hmac.compare_digest(self.token_hash, hash_token(token))


class InboundRateWindow(models.Model):
    """How many events a source posted in its current minute, so every web worker counts against the same limit."""

    source = models.OneToOneField(InboundSource, on_delete=models.CASCADE, primary_key=True, related_name="rate_window")
    starts_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source}: {self.count} since {self.starts_at:%H:%M}"
