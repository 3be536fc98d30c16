"""Outbound webhook HTTP: only to public addresses, to the very address that was checked, and signed.

An admin could otherwise point a webhook at the desk's own network (a console on 127.0.0.1, the cloud's metadata
service on 169.254.169.254) and read the answers back from the failed deliveries page. So:

- a webhook URL is http(s), without user or password, and its host resolves to public addresses only, unless the
  host is listed in WEBHOOK_ALLOWED_HOSTS; this is checked when the endpoint is saved and again before every send;
- a send connects to the addresses it has just checked, never resolving the name again, so a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot move it; the name still goes in the Host
  header and in TLS (certificate and SNI);
- redirects are not followed and the answer's body is never read: the outcome is the status code.

Every request is signed the Standard Webhooks way (https://www.standardwebhooks.com/): `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
base64-decoded part of the endpoint's `whsec_…` secret; one `v1,…` per secret still valid, space-separated.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(ValueError):
    """The URL may not be called: not http(s), carries credentials, or its host is not public."""


class HostNotFound(Exception):
    """The host name did not resolve (perhaps only for now)."""


# -- where a webhook may go ----------------------------------------------------------------------------------------


def allowed_hosts() -> set[str]:
    """Hosts exempt from the public-address rule (WEBHOOK_ALLOWED_HOSTS), e.g. a receiver on the desk's own network."""
    return {host.strip().strip("[]").lower() for host in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []) if host}


def is_public(address: IPAddress) -> bool:
    """Neither loopback, link-local, private, shared, reserved, unspecified nor multicast, IPv4 or IPv6.

    An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, 6to4, NAT64) is judged by the IPv4 one:
    ::ffff:127.0.0.1 is the loopback.
    """
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or address.is_multicast
    )
    return address.is_global and not special


def endpoint_of(url: str) -> tuple[str, int]:
    """The URL's host and port, once its scheme and form allow a webhook to be sent there."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed [IPv6] host or port
        raise UnsafeAddress("The webhook address has an invalid host or port.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeAddress("A webhook address must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeAddress("A webhook address may not carry a user name or password; put a token in the path.")
    if not parts.hostname:
        raise UnsafeAddress("The webhook address has no host.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def lookup(host: str, port: int) -> list[str]:
    """Every address the resolver gives for the host, in its order."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise HostNotFound(f"The host {host} could not be found.") from error
    return list(dict.fromkeys(answer[4][0] for answer in answers))


def checked_addresses(url: str) -> list[str]:
    """The addresses a webhook to `url` may connect to: all of the host's, each public (or the host allowed)."""
    host, port = endpoint_of(url)
    addresses = lookup(host, port)
    if host not in allowed_hosts() and not all(is_public(ipaddress.ip_address(address)) for address in addresses):
        raise UnsafeAddress(
            f"{host} is a loopback, private or reserved address: webhooks only go to public addresses "
            "(or to a host listed in WEBHOOK_ALLOWED_HOSTS)."
        )
    return addresses


def validate_webhook_url(url: str) -> None:
    """The model's check, with the send's rules: an admin learns at once that an address will be refused."""
    try:
        checked_addresses(url)
    except (UnsafeAddress, HostNotFound) as error:
        raise ValidationError(str(error), code="unsafe_webhook_url") from error


# -- sending -------------------------------------------------------------------------------------------------------


def _connect_first(addresses: list[str], destination: tuple, timeout, source_address=None) -> socket.socket:
    """Connect to the first checked address that answers; `destination`'s host name is not resolved again."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, destination[1]), timeout, source_address)
        except OSError as error:
            failure = error
    raise failure or OSError("No address to connect to")


def _pinned(connection: http.client.HTTPConnection, addresses: list[str]) -> http.client.HTTPConnection:
    # http.client opens its socket through this attribute; HTTPS wraps that socket in TLS for the host name.
    connection._create_connection = partial(_connect_first, addresses)
    return connection


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to the checked addresses of `url`; the answer's status code (its body is never read)."""
    addresses = checked_addresses(url)
    host, port = endpoint_of(url)
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = _pinned(kind(host, port, timeout=timeout), addresses)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


# -- signing -------------------------------------------------------------------------------------------------------


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(signing_secrets: list[str], *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signatures = [
        signature(secret, message_id=message_id, timestamp=timestamp, body=body) for secret in signing_secrets
    ]
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}
