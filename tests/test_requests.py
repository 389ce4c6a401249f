"""Request parsing: every form of design §3, canonical output, and clear errors."""

from __future__ import annotations

import pytest
from packaging.version import Version

from shimkit.errors import RequestError
from shimkit.keys import PlatformTriple, parse_key
from shimkit.requests import ACCEPTED_FORMS, parse_installable, parse_request

HOST = PlatformTriple("linux", "x86_64", "gnu")


def key(text: str):
    return parse_key(text)


@pytest.mark.parametrize(
    ("text", "canonical", "matches", "rejects"),
    [
        ("3", "3", ["cpython-3.12.1-linux-x86_64-gnu"], ["cpython-3.13.0+freethreaded-linux-x86_64-gnu"]),
        (
            "3.12",
            "3.12",
            ["cpython-3.12.1-linux-x86_64-gnu", "cpython-3.12.0rc1-linux-x86_64-gnu"],
            ["cpython-3.11.7-linux-x86_64-gnu", "pypy-3.12.1-linux-x86_64-gnu"],
        ),
        (
            "3.12.3",
            "3.12.3",
            ["cpython-3.12.3-linux-x86_64-gnu"],
            ["cpython-3.12.30-linux-x86_64-gnu", "cpython-3.12.3rc1-linux-x86_64-gnu"],
        ),
        ("3.13.0rc1", "3.13.0rc1", ["cpython-3.13.0rc1-linux-x86_64-gnu"], ["cpython-3.13.0-linux-x86_64-gnu"]),
        ("3.13t", "3.13t", ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"], ["cpython-3.13.1-linux-x86_64-gnu"]),
        ("3.13+freethreaded", "3.13t", ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"], []),
        ("3.12+debug", "3.12+debug", ["cpython-3.12.1+debug-linux-x86_64-gnu"], ["cpython-3.12.1-linux-x86_64-gnu"]),
        (
            ">=3.11,<3.13",
            ">=3.11,<3.13",
            ["cpython-3.11.2-linux-x86_64-gnu", "cpython-3.12.9-linux-x86_64-gnu"],
            ["cpython-3.13.0-linux-x86_64-gnu", "cpython-3.10.13-linux-x86_64-gnu"],
        ),
        ("==3.12.*", "==3.12.*", ["cpython-3.12.9-linux-x86_64-gnu"], ["cpython-3.11.9-linux-x86_64-gnu"]),
        ("cpython", "cpython", ["cpython-3.9.1-linux-x86_64-gnu"], ["pypy-3.10.14-linux-x86_64-gnu"]),
        ("CP", "cpython", ["cpython-3.9.1-linux-x86_64-gnu"], []),
        ("pypy", "pypy", ["pypy-3.10.14-linux-x86_64-gnu"], ["cpython-3.10.14-linux-x86_64-gnu"]),
        ("pp", "pypy", ["pypy-3.10.14-linux-x86_64-gnu"], []),
        ("graalpy", "graalpy", ["graalpy-3.12.0-linux-x86_64-gnu"], []),
        ("gp", "graalpy", ["graalpy-3.12.0-linux-x86_64-gnu"], []),
        ("cpython@3.12", "3.12", ["cpython-3.12.1-linux-x86_64-gnu"], ["pypy-3.12.1-linux-x86_64-gnu"]),
        ("cpython3.12", "3.12", ["cpython-3.12.1-linux-x86_64-gnu"], []),
        ("cp312", "3.12", ["cpython-3.12.1-linux-x86_64-gnu"], ["cpython-3.1.2-linux-x86_64-gnu"]),
        ("pypy@3.10", "pypy@3.10", ["pypy-3.10.14-linux-x86_64-gnu"], ["cpython-3.10.14-linux-x86_64-gnu"]),
        ("pp310", "pypy@3.10", ["pypy-3.10.14-linux-x86_64-gnu"], []),
        ("cpython>=3.12", "cpython@>=3.12", ["cpython-3.13.0-linux-x86_64-gnu"], ["cpython-3.11.0-linux-x86_64-gnu"]),
        (
            "cpython-3.12.3-linux-x86_64-gnu",
            "cpython-3.12.3-linux-x86_64-gnu",
            ["cpython-3.12.3-linux-x86_64-gnu"],
            ["cpython-3.12.3-linux-aarch64-gnu", "cpython-3.12.4-linux-x86_64-gnu"],
        ),
        (
            "cpython-3.12-any-any-any",
            "cpython-3.12-any-any-any",
            ["cpython-3.12.3-linux-x86_64-gnu", "cpython-3.12.3-darwin-aarch64-none"],
            ["cpython-3.11.3-linux-x86_64-gnu"],
        ),
        ("any", "any", ["cpython-3.12.3-linux-x86_64-gnu", "pypy-3.10.1-linux-x86_64-gnu"], []),
    ],
)
def test_request_forms(text: str, canonical: str, matches: list[str], rejects: list[str]) -> None:
    req = parse_request(text)
    assert str(req) == canonical
    # the canonical form parses back to the same request
    assert str(parse_request(str(req))) == canonical
    for k in matches:
        assert req.matches_key(key(k)), k
    for k in rejects:
        assert not req.matches_key(key(k)), k


def test_host_restricts_platform_unless_key_names_it() -> None:
    arm = key("cpython-3.12.3-linux-aarch64-gnu")
    assert not parse_request("3.12").matches_key(arm, HOST)
    assert parse_request("cpython-3.12.3-linux-aarch64-gnu").matches_key(arm, HOST)
    win = key("cpython-3.12.3-windows-x86_64-none")
    assert parse_request("cpython-3.12-windows-any-any").matches_key(win, HOST)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/usr/bin/python3", "path"),
        ("./venv", "path"),
        ("~/bin/python", "path"),
        ("mypython3", "name"),
        ("python", "name"),
        ("C:\\Python312\\python.exe", "path"),
    ],
)
def test_paths_and_names(text: str, kind: str) -> None:
    assert parse_request(text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "3.x",
        "hello world",
        "3.12;rm -rf /",
        "$(touch /tmp/pwned)",
        "`id`",
        "3.13rc1",
        ">=3.x",
        "1.2",
        "3.12\n3.11",
        "a" * 500,
        "3.12\x00",
        "cp3.1.2.3",
    ],
)
def test_malformed_requests_list_the_accepted_forms(text: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_installable(text)
    line = info.value.one_line()
    assert "\n" not in line
    assert ACCEPTED_FORMS in line
    assert line.startswith("invalid Python request")


@pytest.mark.parametrize("text", ["/usr/bin/python3", "./x", "mypython3"])
def test_installable_requests_refuse_paths_and_names(text: str) -> None:
    with pytest.raises(RequestError):
        parse_installable(text)


def test_prerelease_ordering_of_keys() -> None:
    stable = key("cpython-3.13.0-linux-x86_64-gnu")
    rc = key("cpython-3.14.0rc1-linux-x86_64-gnu")
    assert stable.sort_key() > rc.sort_key()
    assert key("cpython-3.13.0+freethreaded-linux-x86_64-gnu").minor_key == "cpython-3.13+freethreaded-linux-x86_64-gnu"
    assert stable.version == Version("3.13.0")
