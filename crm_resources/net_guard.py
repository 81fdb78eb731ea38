"""Outbound-request guard: which hosts and addresses an HTTP node may reach (pure logic).

Private, loopback, link-local (cloud metadata), multicast, reserved, unspecified and
shared (CGNAT) addresses are refused, in every spelling (IPv6, IPv4-mapped IPv6, decimal,
octal and hex IPv4), unless the tenant's allow-list names the host or covers the address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
METADATA_ADDRESS = ipaddress.IPv4Address("169.254.169.254")
_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
ALLOW_HINT = (
    "a tenant admin can allow it by adding the host name, address or CIDR range to the "
    "tenant's HTTP allow-list (Tenant.http_allowed_hosts)"
)


class BlockedTarget(Exception):
    """The target is refused; `address_class` names why (e.g. "loopback")."""

    def __init__(self, host: str, address: str, address_class: str):
        self.host = host
        self.address = address
        self.address_class = address_class
        target = address if host == address else f"{host} ({address})"
        super().__init__(
            f"refused to connect to {target}: {address_class} addresses are blocked for "
            f"HTTP nodes; {ALLOW_HINT}"
        )


class InvalidTarget(ValueError):
    """The URL cannot be requested at all (scheme, missing or malformed host)."""


def check_scheme(scheme: str) -> None:
    """Only plain http and https are allowed."""
    if scheme.lower() not in ALLOWED_SCHEMES:
        raise InvalidTarget(f"only http and https URLs are allowed, not {scheme!r}")


def normalize_host(host: str) -> str:
    """Lower-case the host, drop brackets and a trailing dot, canonicalise IP spellings."""
    host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    if not host:
        raise InvalidTarget("the URL has no host")
    literal = ip_literal(host)
    return str(literal) if literal is not None else host


def ip_literal(host: str) -> IPAddress | None:
    """The address a host spells, if it is an IP literal in any accepted notation."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if all(_NUMERIC_PART.match(part) for part in parts):
        # Numeric IPv4 spellings that resolvers accept: 2130706433, 0177.0.0.1, 0x7f.1, 127.1
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError as exc:
            raise InvalidTarget(f"malformed numeric host {host!r}") from exc
    return None


def blocked_class(address: IPAddress) -> str | None:
    """Why an address may not be reached by default, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or _nat64_embedded(address)
        if embedded is not None:
            reason = blocked_class(embedded)
            return f"{reason} (IPv4 in IPv6)" if reason else None
        if address.sixtofour is not None and blocked_class(address.sixtofour):
            return "6to4-embedded non-public"
        if address.is_site_local:
            return "site-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address == METADATA_ADDRESS:
        return "link-local (cloud metadata)"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_V4:
        return "shared (CGNAT)"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def _nat64_embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts (exact or "*.suffix") and networks a tenant may reach although non-public."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    allow_all: bool = False

    @classmethod
    def from_entries(cls, entries: Iterable[str], *, allow_all: bool = False) -> AllowList:
        """Parse allow-list entries: host names, IP addresses or CIDR ranges."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries or ():
            entry = str(raw).strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            try:
                literal = ip_literal(entry)
            except InvalidTarget:
                continue
            if literal is not None:
                networks.append(ipaddress.ip_network(literal))
            else:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks), allow_all)

    def allows_host(self, host: str) -> bool:
        """Whether the (normalised) host name is allow-listed by name."""
        if host in self.hosts:
            return True
        return any(
            entry.startswith("*.") and host.endswith(entry[1:]) for entry in self.hosts
        )

    def allows_address(self, address: IPAddress) -> bool:
        """Whether the address falls in an allow-listed network (IPv4-mapped included)."""
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


def check_address(host: str, address: IPAddress, allow: AllowList) -> None:
    """Raise BlockedTarget unless the address is public or allow-listed."""
    reason = blocked_class(address)
    if reason is None or allow.allow_all:
        return
    if allow.allows_host(host) or allow.allows_address(address):
        return
    raise BlockedTarget(host, str(address), reason)


def check_addresses(
    host: str, addresses: Iterable[IPAddress], allow: AllowList
) -> list[IPAddress]:
    """Check every address a host resolved to (any refusal refuses the host); return them."""
    checked = list(dict.fromkeys(addresses))
    if not checked:
        raise InvalidTarget(f"host {host!r} did not resolve to any address")
    for address in checked:
        check_address(host, address, allow)
    return checked
