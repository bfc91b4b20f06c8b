"""Where webhooks may go: public addresses only, unless the operator allows more.

A platform's API key must not turn idgate into a scanner of its own network: URLs that
name or resolve to loopback, private, link-local (cloud metadata), multicast, reserved or
otherwise non-global addresses are refused when the endpoint is registered and again at
each delivery, after DNS, and the delivery then connects to the address that was checked
(so a name that resolves differently a moment later cannot slip through).

``IDGATE_WEBHOOK_ALLOWED_HOSTS`` lists exceptions: host names (exact) and networks in CIDR
notation, comma-separated (e.g. ``hooks.internal,10.20.0.0/16``).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookUrlRefused(Exception):
    """The URL is not acceptable as a webhook target; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, text: str) -> AllowList:
        hosts: set[str] = set()
        networks: list[IpNetwork] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, address: IpAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: its parts and the addresses it may be reached at."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IpAddress, ...]


def _unmapped(address: IpAddress) -> IpAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: IpAddress) -> bool:
    """Only globally routable unicast addresses (metadata 169.254.169.254 is link-local)."""
    address = _unmapped(address)
    return address.is_global and not address.is_multicast


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused("the URL is not valid") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefused("the URL must start with https:// or http://")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("the URL must not contain credentials")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise WebhookUrlRefused("the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _resolve(host: str, port: int) -> tuple[IpAddress, ...]:
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    out: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in out:
            out.append(address)
    return tuple(out)


def check_url(url: str, allow: AllowList, *, require_resolution: bool) -> Target:
    """Check ``url`` against the rules; raise :class:`WebhookUrlRefused` if it breaks one.

    At registration a name that does not resolve yet is accepted
    (``require_resolution=False``); at delivery it is refused.
    """
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if host in allow.hosts:
        return Target(scheme, host, port, path, addresses)
    if not addresses:
        if require_resolution:
            raise WebhookUrlRefused("the host name does not resolve")
        return Target(scheme, host, port, path, ())
    for address in addresses:
        if not is_public(address) and not allow.allows(_unmapped(address)):
            raise WebhookUrlRefused(
                "the URL points at a private, loopback, link-local or reserved address"
            )
    return Target(scheme, host, port, path, addresses)
