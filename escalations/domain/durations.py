"""SLA durations as support teams write them: `30m`, `4h`, `1h30m`, `2d`."""

import re
from datetime import timedelta

DURATION_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
DURATION_PATTERN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
DURATION_HINT = "use d, h, m and s in that order, e.g. 30m, 4h, 2d or 1h30m"
MAX_DURATION = timedelta(days=365)


def parse_duration(text: object) -> timedelta:
    """Read `30m`, `4h`, `2d`, `1h30m` or `45s`; raise ValueError unless it is a positive duration of at most a year."""
    match = DURATION_PATTERN.fullmatch(text) if isinstance(text, str) and text else None
    if not match:
        raise ValueError(f"{text!r} is not a duration ({DURATION_HINT})")
    seconds = sum(int(amount or 0) * size for amount, (_, size) in zip(match.groups(), DURATION_UNITS, strict=True))
    if not 0 < seconds <= MAX_DURATION.total_seconds():
        raise ValueError(f"{text!r} is not a duration between 1s and {format_duration(MAX_DURATION)}")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The canonical spelling in hours at most, as support teams say SLAs: 1 day → `24h`, 90 minutes → `1h30m`."""
    if duration <= timedelta(0) or duration.microseconds:
        raise ValueError(f"{duration} is not a positive whole number of seconds")
    remaining = duration // timedelta(seconds=1)
    parts = []
    for unit, size in DURATION_UNITS[1:]:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
