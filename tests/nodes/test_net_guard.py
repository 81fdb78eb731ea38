"""The outbound guard refuses every non-public address class, in every spelling.

Contract: loopback, private, link-local (incl. cloud metadata), multicast, reserved,
unspecified and shared (CGNAT) addresses are refused, also as IPv6, IPv4-mapped IPv6 and
decimal/octal/hex IPv4 spellings, unless the tenant allow-list names the host or covers the
address; public addresses pass; only http and https are accepted. No network is used.
"""

from __future__ import annotations

import ipaddress

import pytest

from crm_resources.net_guard import (
    AllowList,
    BlockedTarget,
    InvalidTarget,
    blocked_class,
    check_address,
    check_addresses,
    check_scheme,
    ip_literal,
    normalize_host,
)

NO_ALLOW = AllowList()


@pytest.mark.parametrize(
    ("host", "expected_class"),
    [
        ("127.0.0.1", "loopback"),
        ("2130706433", "loopback"),  # decimal
        ("0177.0.0.1", "loopback"),  # octal
        ("0x7f.0.0.1", "loopback"),  # hex
        ("0x7f000001", "loopback"),
        ("127.1", "loopback"),  # short form
        ("[::1]", "loopback"),
        ("::ffff:127.0.0.1", "loopback (IPv4 in IPv6)"),
        ("[::ffff:7f00:1]", "loopback (IPv4 in IPv6)"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("::ffff:169.254.169.254", "link-local (cloud metadata) (IPv4 in IPv6)"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("012.0.0.1", "private"),  # octal 10.0.0.1
        ("172.16.5.4", "private"),
        ("192.168.0.10", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("64:ff9b::7f00:1", "loopback (IPv4 in IPv6)"),  # NAT64
    ],
)
def test_non_public_addresses_are_refused(host: str, expected_class: str) -> None:
    address = ip_literal(normalize_host(host))
    assert address is not None
    assert blocked_class(address) == expected_class
    with pytest.raises(BlockedTarget) as refused:
        check_address(normalize_host(host), address, NO_ALLOW)
    assert refused.value.address_class == expected_class
    assert "allow-list" in str(refused.value)


@pytest.mark.parametrize("host", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(host: str) -> None:
    address = ipaddress.ip_address(host)
    assert blocked_class(address) is None
    check_address(host, address, NO_ALLOW)


def test_numeric_spellings_normalise_to_one_address() -> None:
    spellings = ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.0.0.1", "127.1", "127.0.0.1."]
    assert {normalize_host(s) for s in spellings} == {"127.0.0.1"}
    assert normalize_host("[::FFFF:127.0.0.1]") == "::ffff:7f00:1"
    assert normalize_host("Example.COM.") == "example.com"
    assert ip_literal("example.com") is None
    with pytest.raises(InvalidTarget):
        ip_literal("99999999999")


def test_allow_list_by_address_cidr_and_host() -> None:
    allow = AllowList.from_entries(["127.0.0.1", "10.1.0.0/16", "Internal.Example.", "*.svc.local"])
    check_address("127.0.0.1", ipaddress.ip_address("127.0.0.1"), allow)
    check_address("x", ipaddress.ip_address("::ffff:127.0.0.1"), allow)  # mapped form too
    check_address("x", ipaddress.ip_address("10.1.200.3"), allow)
    check_address("internal.example", ipaddress.ip_address("192.168.1.1"), allow)
    check_address("api.svc.local", ipaddress.ip_address("10.9.9.9"), allow)
    with pytest.raises(BlockedTarget):
        check_address("x", ipaddress.ip_address("10.2.0.1"), allow)
    with pytest.raises(BlockedTarget):
        check_address("x", ipaddress.ip_address("169.254.169.254"), allow)
    with pytest.raises(BlockedTarget):
        check_address("svc.local.evil.com", ipaddress.ip_address("10.9.9.9"), allow)


def test_any_refused_address_refuses_the_host() -> None:
    addresses = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(BlockedTarget) as refused:
        check_addresses("rebind.example", addresses, NO_ALLOW)
    assert refused.value.address == "127.0.0.1"
    allowed = check_addresses("rebind.example", addresses, AllowList.from_entries(["127.0.0.0/8"]))
    assert [str(a) for a in allowed] == ["8.8.8.8", "127.0.0.1"]


def test_allow_all_and_schemes() -> None:
    check_address("x", ipaddress.ip_address("10.0.0.1"), AllowList(allow_all=True))
    check_scheme("https")
    check_scheme("HTTP")
    for scheme in ("file", "ftp", "gopher", ""):
        with pytest.raises(InvalidTarget):
            check_scheme(scheme)
