"""The model (shimkit.model): request parsing in every form, canonical output, clear errors; and
versions, specifiers and keys checked against ``packaging``, the oracle, on generated inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version as PackagingVersion

from shimkit.errors import RequestError
from shimkit.model.key import PlatformTriple, PythonKey, is_minor_key, parse_key
from shimkit.model.request import ACCEPTED_FORMS, PythonRequest, parse_installable, parse_request
from shimkit.model.specifier import Specifiers
from shimkit.model.version import Version

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
        # pre-releases and variants are written as uv writes them (uv: discovery.rs
        # interpreter_request_to_canonical_string, tests/python/python_pin.rs "3.13t" -> 3.13+freethreaded)
        ("3.13.0rc1", "3.13rc1", ["cpython-3.13.0rc1-linux-x86_64-gnu"], ["cpython-3.13.0-linux-x86_64-gnu"]),
        ("3.13rc1", "3.13rc1", ["cpython-3.13.0rc1-linux-x86_64-gnu"], ["cpython-3.13.1rc1-linux-x86_64-gnu"]),
        ("3.13a1", "3.13a1", ["cpython-3.13.0a1-linux-x86_64-gnu"], ["cpython-3.13.0a2-linux-x86_64-gnu"]),
        ("313b1", "3.13b1", ["cpython-3.13.0b1-linux-x86_64-gnu"], ["cpython-3.13.0-linux-x86_64-gnu"]),
        ("313rc4", "3.13rc4", ["cpython-3.13.0rc4-linux-x86_64-gnu"], []),
        ("3.14.5rc1", "3.14.5rc1", ["cpython-3.14.5rc1-linux-x86_64-gnu"], ["cpython-3.14.0rc1-linux-x86_64-gnu"]),
        (
            "3.13t",
            "3.13+freethreaded",
            ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"],
            ["cpython-3.13.1-linux-x86_64-gnu"],
        ),
        ("3.13+freethreaded", "3.13+freethreaded", ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"], []),
        ("313t", "3.13+freethreaded", ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"], []),
        ("3t", "3+freethreaded", ["cpython-3.13.1+freethreaded-linux-x86_64-gnu"], ["cpython-3.13.1-linux-x86_64-gnu"]),
        # a lone == is a version request (uv: version_request_from_specifiers): ==3.12 is the series
        (
            "==3.12",
            "3.12",
            ["cpython-3.12.1-linux-x86_64-gnu", "cpython-3.12.0-linux-x86_64-gnu"],
            ["cpython-3.13.0-linux-x86_64-gnu"],
        ),
        ("==3.12.1", "3.12.1", ["cpython-3.12.1-linux-x86_64-gnu"], ["cpython-3.12.2-linux-x86_64-gnu"]),
        (">=3.12, <3.13", ">=3.12,<3.13", ["cpython-3.12.1-linux-x86_64-gnu"], ["cpython-3.13.0-linux-x86_64-gnu"]),
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
        # an implementation the user names stays in the canonical form (uv: "cpython@3.12.2");
        # "python3.12" names none (uv's abstract prefix)
        ("cpython@3.12", "cpython@3.12", ["cpython-3.12.1-linux-x86_64-gnu"], ["pypy-3.12.1-linux-x86_64-gnu"]),
        ("cpython3.12", "cpython@3.12", ["cpython-3.12.1-linux-x86_64-gnu"], []),
        ("cp312", "cpython@3.12", ["cpython-3.12.1-linux-x86_64-gnu"], ["cpython-3.1.2-linux-x86_64-gnu"]),
        ("cp38", "cpython@3.8", ["cpython-3.8.20-linux-x86_64-gnu"], []),
        ("python3.12", "3.12", ["cpython-3.12.1-linux-x86_64-gnu"], []),
        ("pypy310", "pypy@3.10", ["pypy-3.10.14-linux-x86_64-gnu"], []),
        ("gp310", "graalpy@3.10", ["graalpy-3.10.0-linux-x86_64-gnu"], []),
        ("3100", "3.100", [], ["cpython-3.10.0-linux-x86_64-gnu"]),
        # keys with trailing parts left out, or any (uv: interpreter_request_from_str, downloads.rs)
        (
            "cpython-3.12",
            "cpython-3.12-any-any-any",
            ["cpython-3.12.3-linux-x86_64-gnu"],
            ["pypy-3.12.3-linux-x86_64-gnu"],
        ),
        ("any-3.12-any", "any-3.12-any-any-any", ["pypy-3.12.3-linux-x86_64-gnu"], ["cpython-3.11.3-linux-x86_64-gnu"]),
        (
            "cpython-3.12-linux-x86_64",
            "cpython-3.12-linux-x86_64-any",
            ["cpython-3.12.3-linux-x86_64-musl"],
            ["cpython-3.12.3-linux-aarch64-gnu"],
        ),
        (
            "any-3.13.2-any-aarch64",
            "any-3.13.2-any-aarch64-any",
            ["cpython-3.13.2-darwin-aarch64-none"],
            ["cpython-3.13.2-linux-x86_64-gnu"],
        ),
        (
            "pypy-linux",
            "pypy-any-linux-any-any",
            ["pypy-3.10.14-linux-x86_64-gnu"],
            ["pypy-3.10.14-darwin-x86_64-none"],
        ),
        (
            "cpython-3.13.0rc1",
            "cpython-3.13rc1-any-any-any",
            ["cpython-3.13.0rc1-linux-x86_64-gnu"],
            ["cpython-3.13.0-linux-x86_64-gnu"],
        ),
        ("cpython-3.12-macos-arm64", "cpython-3.12-darwin-aarch64-any", ["cpython-3.12.3-darwin-aarch64-none"], []),
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
        "3rc1",
        "31000",
        "3.13tt",
        "3.12-dev",
        "3.12.post0",
        "cpython-3.12-linux-x86_64-gnu-extra",
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
    assert stable.version == Version.parse("3.13.0") == Version.parse("3.13")


# ---- the model against packaging ------------------------------------------------------------
PRE = st.sampled_from(["", "", "", "a1", "b2", "rc1", "rc2", "rc10"])
versions = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}{pre}", st.sampled_from([2, 3, 4]), st.integers(0, 14), st.integers(0, 12), PRE
) | st.builds(lambda a, b: f"{a}.{b}", st.sampled_from([2, 3]), st.integers(0, 14))
# a small space, so that specifiers and versions meet at their boundaries (3.12 vs 3.12.0rc1 …)
spec_versions = (
    st.builds(lambda *p: ".".join(map(str, p)), st.just(3), st.integers(11, 13), st.integers(0, 1))
    | st.builds(lambda b: f"3.{b}", st.integers(11, 13))
    | st.sampled_from(["3", "4", "2.7", "3.13.0rc1", "3.12.0b1"])
)
near_versions = st.builds(lambda b, c, pre: f"3.{b}.{c}{pre}", st.integers(11, 13), st.integers(0, 1), PRE) | versions
clauses = st.builds(
    lambda op, sp1, v, sp2, wild: f"{sp1}{op}{sp2}{v}{'.*' if wild else ''}",
    st.sampled_from(["~=", "==", "!=", "<=", ">=", "<", ">", "==="]),
    st.sampled_from(["", " "]),
    spec_versions,
    st.sampled_from(["", "", " "]),
    st.booleans(),
)


@settings(max_examples=600, deadline=None)
@given(a=versions, b=versions)
def test_versions_order_like_packaging(a: str, b: str) -> None:
    va, vb = Version.parse(a), Version.parse(b)
    pa, pb = PackagingVersion(a), PackagingVersion(b)
    assert (va < vb, va == vb, va > vb) == (pa < pb, pa == pb, pa > pb)
    assert str(va) == str(pa) and va.is_prerelease == pa.is_prerelease
    assert (va.major, va.minor, va.micro) == (pa.major, pa.minor, pa.micro)


@pytest.mark.parametrize(
    "text",
    ["3.13.0-rc1", "3.13.0.rc1", "3.13.0c1", "3.13.0RC1", "3.13.0alpha1", "3.13.0b", "3.13.0-beta.2", "3.13.0preview1"],
)
def test_version_spellings_normalize_like_packaging(text: str) -> None:
    assert str(Version.parse(text)) == str(PackagingVersion(text))


@pytest.mark.parametrize(
    "text", ["", "3.", ".3", "3..1", "3.x", "3.12.1.post1", "3.12.dev1", "1!3.12", "3.12+local", "v3.12", "3.12rc1x"]
)
def test_versions_outside_the_subset_are_refused(text: str) -> None:
    assert Version.try_parse(text) is None


@settings(max_examples=1500, deadline=None)
@given(spec=st.lists(clauses, min_size=1, max_size=3).map(",".join), version=near_versions)
def test_specifiers_match_like_packaging(spec: str, version: str) -> None:
    try:
        oracle = SpecifierSet(spec)
    except InvalidSpecifier:
        with pytest.raises(ValueError):
            Specifiers.parse(spec)  # "~=3", "==3.13.0rc1.*" …: refused by both
        return
    if "===" in spec:
        with pytest.raises(ValueError):
            Specifiers.parse(spec)  # arbitrary equality is not a Python-version notion
        return
    ours = Specifiers.parse(spec)
    lone_eq = len(ours.clauses) == 1 and ours.clauses[0].op == "==" and not ours.clauses[0].prefix
    assert ours.contains(Version.parse(version)) == oracle.contains(PackagingVersion(version), prereleases=True)
    # the canonical form means the same thing and parses to itself
    assert SpecifierSet(str(ours)) == oracle and str(Specifiers.parse(str(ours))) == str(ours)
    # as a request, on installation keys (CPython, no variant) and on probed interpreters
    req = parse_request(spec)
    if lone_eq:
        # as a request, a lone "==3.12" is the version request "3.12" (the series), as in uv
        assert req.version.specifiers is None and req == parse_request(str(ours.clauses[0].version))
        return
    key = parse_key(
        f"cpython-{Version.parse(version).padded(3)[0]}.{Version.parse(version).padded(3)[1]}."
        f"{Version.parse(version).padded(3)[2]}{Version.parse(version).pre_text}-linux-x86_64-gnu"
    )
    expected = oracle.contains(PackagingVersion(str(key.version)), prereleases=True)
    assert req.matches_key(key, HOST) == expected
    assert not req.matches_key(parse_key(f"pypy-{key.version}-linux-x86_64-gnu"), HOST)
    assert not req.matches_key(parse_key(f"cpython-{key.version}+freethreaded-linux-x86_64-gnu"), HOST)
    assert req.matches_interpreter("cpython", str(key.version), "") == expected
    assert not req.matches_interpreter("cpython", str(key.version), "debug")


keys = st.builds(
    lambda impl, v, variant, plat: f"{impl}-{v}{variant}-{plat}",
    st.sampled_from(["cpython", "pypy", "graalpy"]),
    st.builds(lambda b, c, pre: f"3.{b}.{c}{pre}", st.integers(8, 14), st.integers(0, 20), PRE),
    st.sampled_from(["", "", "+freethreaded", "+debug", "+freethreaded+debug"]),
    st.sampled_from(
        [
            "linux-x86_64-gnu",
            "linux-x86_64_v3-musl",
            "darwin-aarch64-none",
            "windows-x86_64-none",
            "linux-armv7-gnueabihf",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(text=keys, other=keys)
def test_keys_round_trip_and_order(text: str, other: str) -> None:
    k, o = parse_key(text), parse_key(other)
    assert str(k) == text and parse_key(str(k)) == k
    assert is_minor_key(k.minor_key) and not is_minor_key(text)
    assert PythonKey.try_parse(k.minor_key, numbers=2) is not None
    pk, po = PackagingVersion(str(k.version)), PackagingVersion(str(o.version))
    if (k.is_prerelease, pk) != (o.is_prerelease, po):
        # stable releases rank above pre-releases, then the version decides
        assert (k.sort_key() < o.sort_key()) == ((not k.is_prerelease, pk) < (not o.is_prerelease, po))
    # a plain minor request matches exactly the CPython keys of that minor and variant
    if k.freethreaded and k.minor < 13:
        with pytest.raises(RequestError):  # no such build exists (uv: python_find_unsupported_version)
            parse_request(f"{k.major}.{k.minor}+{k.variant}")
        return
    req = parse_request(f"{k.major}.{k.minor}" + (f"+{k.variant}" if k.variant else ""))
    host = PlatformTriple(*str(k.platform).split("-"))
    assert req.matches_key(k, host) == (k.implementation == "cpython")


@pytest.mark.parametrize(
    "text",
    [
        "cpython-3.12-linux-x86_64-gnu",
        "cpython-3.12.1-linux-x86_64",
        "CPython-3.12.1-x-y-z",
        "cpython-3.12.01-linux-x86_64-gnu",
        "cpython-3.12.1+gil-linux-x86_64-gnu",
        "cpython-3.12.1-linux-x86-64-gnu",
        "cpython-3.12.1-lin$ux-x86_64-gnu",
        "jython-3.12.1-linux-x86_64-gnu",
        "cpython-3.12.1rc-linux-x86_64-gnu",
    ],
)
def test_non_keys(text: str) -> None:
    k = PythonKey.try_parse(text)
    assert k is None or str(k) != text


@settings(max_examples=300, deadline=None)
@given(
    impl=st.sampled_from(["cpython", "pypy", "graalpy"]),
    version=versions,
    variant=st.sampled_from(["", "freethreaded", "debug", "freethreaded+debug"]),
)
def test_exact_requests_round_trip(impl: str, version: str, variant: str) -> None:
    v = Version.parse(version)
    if v.padded(2) < ((2, 7) if v.major == 2 else (3, 6)) or ("freethreaded" in variant and v.padded(2) < (3, 13)):
        return  # not a Python anyone can run (refused as a request: see test_request_forms)
    req = PythonRequest.exact(version, impl, variant)
    again = parse_request(str(req), allow_paths=False)
    assert again == req and str(again) == str(req)
    assert req.matches_interpreter(impl, version, variant)
    assert not req.matches_interpreter(impl, version, "debug" if variant != "debug" else "")
