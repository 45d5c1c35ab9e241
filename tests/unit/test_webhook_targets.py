"""Where a webhook may be sent (`services/webhooks/targets.py`, the SSRF guard), each refusal
in the words an admin reads on `url`, and the request headers every delivery carries."""

from __future__ import annotations

import base64

import pytest

from loyalty_core.errors import InvalidInput
from loyalty_core.models.webhooks import MAX_URL_LENGTH
from loyalty_core.services.webhooks import signing, targets

PUBLIC = ["93.184.216.34"]


def refusal(url: str, local: bool = False, found: list[str] | None = None) -> str:
    with pytest.raises(InvalidInput) as refused:
        targets.check(url, lambda host, port: found or PUBLIC, local)
    assert str(refused.value) == "The webhook URL is not allowed"
    (problem,) = refused.value.problems
    assert problem.location == ("url",)
    return problem.detail


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "https://a.example/" + "x" * MAX_URL_LENGTH,
            "must be a URL of at most 2048 characters, no spaces",
        ),
        ("https://a.example/a b", "must be a URL of at most 2048 characters, no spaces"),
        ("https://a.example/\u0000", "must be a URL of at most 2048 characters, no spaces"),
        ("https://a.example:99999/", "must be a well-formed URL"),
        ("ftp://a.example/", "must be an https URL"),
        ("http://a.example/", "must be an https URL"),
        ("https://u:p@a.example/", "must not hold credentials (user:password@)"),
        ("https://u@a.example/", "must not hold credentials (user:password@)"),
        ("https://a.example/in#part", "must not have a #fragment"),
        ("https:///in", "must name a host (internationalised names in their xn-- form)"),
        (
            "https://bücher.example/",
            "must name a host (internationalised names in their xn-- form)",
        ),
    ],
)
def test_a_url_that_cannot_be_sent_to_says_why(url: str, detail: str) -> None:
    assert refusal(url) == detail


def test_a_url_of_the_longest_length_is_taken() -> None:
    url = "https://a.example/" + "x" * (MAX_URL_LENGTH - len("https://a.example/"))
    assert len(url) == MAX_URL_LENGTH
    assert targets.check(url, lambda host, port: PUBLIC, False) == url


def test_under_make_run_the_refusal_names_plain_http_too() -> None:
    assert (
        refusal("ftp://a.example/", local=True) == "must be an https URL (or http, under make run)"
    )


def test_a_host_resolving_to_a_private_address_is_refused_in_words() -> None:
    assert (
        refusal("https://a.example/", found=["10.0.0.1"])
        == "must not resolve to a private, loopback, link-local or reserved address"
    )
    assert (
        refusal("http://a.example/", local=True, found=["10.0.0.1"])
        == "must not resolve to a non-public address"
    )


def test_a_host_that_resolves_to_nothing_is_refused_in_words() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(InvalidInput) as refused:
        targets.check("https://a.example/", nowhere, False)
    assert refused.value.problems[0].detail == "must name a host that resolves"


def test_the_addresses_are_those_the_host_resolves_to_at_its_port() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    target = targets.parse("https://a.example:8443/in?x=1", False)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "a.example",
        8443,
        "/in?x=1",
    )
    assert targets.addresses(target, resolve, False) == [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
    ]
    assert asked == [("a.example", 8443)]
    literal = targets.parse("https://93.184.216.34/", False)
    assert targets.addresses(literal, resolve, False) == ["93.184.216.34"]
    assert len(asked) == 1  # an address literal is not resolved
    with pytest.raises(targets.UnsafeTarget, match="must name a host that resolves"):
        targets.addresses(target, lambda host, port: [], False)


def test_the_system_resolver_answers_each_address_once() -> None:
    found = targets.system_resolver("localhost", 443)
    assert "127.0.0.1" in found and len(found) == len(set(found))
    assert targets.system_resolver("127.0.0.1", 443) == ["127.0.0.1"]


def test_every_delivery_says_what_it_is_and_who_sends_it() -> None:
    sent = signing.headers([b"k1", b"k2"], "evt-1", 1_765_000_000, b"{}")
    assert sent["content-type"] == "application/cloudevents+json; charset=utf-8"
    assert sent["user-agent"] == "loyalty-memberships-webhooks/1"
    assert (sent["webhook-id"], sent["webhook-timestamp"]) == ("evt-1", "1765000000")
    assert len(sent["webhook-signature"].split(" ")) == 2


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    shown, key = signing.new_secret()
    assert shown == "whsec_" + base64.b64encode(key).decode() and len(key) == 32
    assert signing.new_secret()[1] != key


def test_a_url_names_its_host_port_and_path_as_a_request_needs_them() -> None:
    dotted = targets.parse("https://a.example./in", False)
    assert (dotted.host, dotted.host_header) == ("a.example", "a.example")
    bare = targets.parse("https://a.example", False)
    assert (bare.port, bare.path) == (443, "/")
    plain = targets.parse("http://a.example/in", True)
    assert (plain.port, plain.path, plain.host_header) == (80, "/in", "a.example")
    other = targets.parse("http://a.example:443/in", True)
    assert other.host_header == "a.example:443"
    assert targets.parse("https://[2001:db8::1]:8443/", False).host_header == "[2001:db8::1]:8443"


def test_an_address_is_judged_without_its_zone_and_nothing_else_is_one() -> None:
    assert targets.allowed("2606:4700:4700::1111%eth0", local=False)
    assert not targets.allowed("fe80::1%eth0", local=False)
    assert not targets.allowed("not-an-address", local=False)
    assert not targets.allowed("not-an-address", local=True)


def test_a_host_that_resolves_to_no_address_is_refused_in_words() -> None:
    target = targets.parse("https://a.example/", False)
    with pytest.raises(targets.UnsafeTarget) as refused:
        targets.addresses(target, lambda host, port: [], False)
    assert str(refused.value) == "must name a host that resolves"
