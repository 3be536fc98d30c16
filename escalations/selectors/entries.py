"""One line of a ticket's timeline, whichever record it comes from."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    title: str
    body: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    link: str = ""
