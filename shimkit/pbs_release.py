"""python-build-standalone (PBS) release data: the pieces ``shimkit metadata refresh`` reads.

Public format facts this module relies on (see docs/metadata.md for the sources):

* Release tags are dates, ``YYYYMMDD`` (e.g. ``20260814``); archive names carry the tag as their
  build: ``cpython-3.12.11+20251007-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz``.
* ``latest-release.json`` (on the PBS repository's ``latest-release`` branch) is a small JSON
  object naming the newest release: ``{"version": 1, "tag": ..., "release_url": ...,
  "asset_url_prefix": ...}``.
* Every release has a ``SHA256SUMS`` asset: one line per asset, ``<sha256>  <file name>\\n``.

From a release's ``SHA256SUMS`` alone (names and checksums) this module picks, for every
installation key, the one archive to install, with the preferences uv applies: the
``install_only_stripped`` archive, else ``install_only``, else the most optimised ``full``
archive (debug builds only exist as ``debug-full`` ``.tar.zst`` archives).  Static builds are never
picked, and an archive without a valid checksum is never listed.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from .download_list import PBS_PREFIX, parse_archive_filename
from .errors import DownloadError, ShimkitError
from .record import Record, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Mapping, Optional


LATEST_RELEASE_URL = (
    "https://raw.githubusercontent.com/astral-sh/python-build-standalone/latest-release/latest-release.json"
)
"""Where PBS publishes its newest tag; a mirror serves a copy at ``<mirror>/latest-release.json``."""

LATEST_RELEASE_NAME = "latest-release.json"
SHA256SUMS_NAME = "SHA256SUMS"
TAG_RE = re.compile(r"^[0-9]{8}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# `sha256sum` output: the digest, one space, then a space (text mode) or `*` (binary mode), the name
_SUMS_LINE_RE = re.compile(r"^(?P<sha>[0-9a-fA-F]{64}) [ *](?P<name>[^\s/\\][^/\\]*)$")
# The part of an archive name after the target triple: `<build options>-<kind>.<extension>`
_FLAVOR_RE = re.compile(
    r"-(?:unknown-linux-(?:gnu|musl|gnueabi|gnueabihf)|apple-darwin|pc-windows-msvc)"
    r"-(?P<flavor>[a-z0-9_+-]+?)\.(?P<ext>tar\.gz|tar\.zst)$"
)
# PBS spells some architectures differently from shimkit keys (which follow platform.host()).
_ARCH_TO_KEY = {"ppc64le": "powerpc64le", "ppc64": "powerpc64"}
_BUILD_RE = re.compile(r"^cpython-[^+/]+\+([0-9]+)-")
# Archive kinds, best first.
_KINDS = ("install_only_stripped", "install_only", "full")
# Build options a `full` archive may carry; how much each one is worth when choosing.
_OPTION_SCORE = {"pgo": 1, "lto": 1, "noopt": 0, "shared": 0, "debug": 0, "freethreaded": 0}


class ReleaseDataError(DownloadError):
    """A release document (latest-release.json, SHA256SUMS) is malformed or incomplete."""


class LatestRelease(Record, frozen=True):
    """What ``latest-release.json`` says."""

    tag: str
    asset_url_prefix: Optional[str]


class ReleaseEntry(Record, frozen=True):
    """The archive chosen for one key in one release."""

    key: str
    build: str
    filename: str
    sha256: str

    @property
    def url_path(self) -> str:
        """The URL relative to the release prefix, as PBS URLs spell it (``+`` -> ``%2B``)."""
        return f"{self.build}/{urllib.parse.quote(self.filename, safe='')}"

    @property
    def url(self) -> str:
        return PBS_PREFIX + self.url_path


class Selection(Record):
    """The outcome of :func:`select_entries`: the chosen archives and what was left out."""

    entries: dict[str, ReleaseEntry] = field(default_factory=dict)  # key -> entry
    other_release: int = 0  # names whose build is not the release's tag
    not_installable: int = 0  # not a CPython archive shimkit installs (static, wasm, unknown names)


def latest_release_url(mirror: Optional[str]) -> str:
    """``<mirror>/latest-release.json`` with a mirror, else the PBS repository's copy."""
    if mirror:
        return mirror.rstrip("/") + "/" + LATEST_RELEASE_NAME
    return LATEST_RELEASE_URL


def sha256sums_url(tag: str, mirror: Optional[str]) -> str:
    """``<release prefix>/<tag>/SHA256SUMS``; the mirror replaces the release prefix as for downloads."""
    base = (mirror or PBS_PREFIX).rstrip("/")
    return f"{base}/{tag}/{SHA256SUMS_NAME}"


def check_tag(tag: str, origin: str) -> str:
    """``tag`` if it looks like a PBS release tag (``YYYYMMDD``); :class:`ReleaseDataError` if not."""
    if not isinstance(tag, str) or not TAG_RE.match(tag):
        raise ReleaseDataError(
            f"{origin}: {tag!r} is not a python-build-standalone release tag",
            "release tags are dates such as 20260814",
        )
    return tag


def parse_latest_release(data: bytes, origin: str) -> LatestRelease:
    """Parse ``latest-release.json``; :class:`ReleaseDataError` unless it names a valid tag."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReleaseDataError(f"{origin} is not valid JSON ({exc})", _damaged_hint()) from None
    if not isinstance(doc, dict) or "tag" not in doc:
        raise ReleaseDataError(f'{origin} does not name a release (no "tag")', _damaged_hint())
    version = doc.get("version", 1)
    if version != 1:
        raise ReleaseDataError(
            f"{origin} has format version {version!r}; this shimkit reads version 1",
            "upgrade shimkit, or refresh with an explicit `--tag`",
        )
    prefix = doc.get("asset_url_prefix")
    return LatestRelease(check_tag(doc["tag"], origin), prefix if isinstance(prefix, str) else None)


def parse_sha256sums(data: bytes, origin: str) -> dict[str, str]:
    """File name -> lower-case sha256 from a ``SHA256SUMS`` file.

    Strict on purpose: a line that is not ``<64 hex digits>  <file name>`` or a body that does not
    end with a newline (a response cut short) makes the whole file untrustworthy, so nothing from it
    is used.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseDataError(f"{origin} is not text", _damaged_hint()) from None
    if not text.strip():
        raise ReleaseDataError(f"{origin} is empty", _damaged_hint())
    if not text.endswith("\n"):
        raise ReleaseDataError(f"{origin} is truncated (its last line is incomplete)", _damaged_hint())
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _SUMS_LINE_RE.match(line.rstrip("\r"))
        if m is None:
            shown = line if len(line) < 100 else line[:97] + "..."
            raise ReleaseDataError(
                f"{origin} line {number} is not in sha256sum format (<sha256>, two spaces, file name): {shown!r}",
                "an entry without a valid checksum is never used; " + _damaged_hint(),
            )
        name, sha = m["name"], m["sha"].lower()
        if sums.get(name, sha) != sha:
            raise ReleaseDataError(f"{origin} lists {name} twice with different checksums", _damaged_hint())
        sums[name] = sha
    return sums


def _damaged_hint() -> str:
    return "the server or mirror sent a damaged or partial file; the previous download list stays in force"


class _Candidate(Record, frozen=True):
    entry: ReleaseEntry
    rank: tuple[int, int, str]


def _candidate(filename: str, sha256: str) -> Optional[_Candidate]:
    """The archive as a candidate for its key, or None when shimkit would never install it."""
    if not filename.startswith("cpython-") or not _SHA256_RE.match(sha256):
        return None
    m = _FLAVOR_RE.search(filename)
    if m is None:
        return None
    *options_parts, kind = m["flavor"].split("-")
    options = [o for part in options_parts for o in part.split("+")]
    if kind not in _KINDS or any(o not in _OPTION_SCORE for o in options):
        return None  # static builds, unknown kinds: never chosen
    if kind == "full" and m["ext"] != "tar.zst":
        return None
    try:
        key, build = parse_archive_filename(filename)
    except ShimkitError:
        return None
    arch = _ARCH_TO_KEY.get(key.platform.arch, key.platform.arch)
    key_text = f"{key.implementation}-{key.version}{key.variant_suffix}-{key.platform.os}-{arch}-{key.platform.libc}"
    score = sum(_OPTION_SCORE[o] for o in options)
    rank = (_KINDS.index(kind), -score, filename)  # smaller is better; the name breaks ties stably
    return _Candidate(ReleaseEntry(key_text, build, filename, sha256), rank)


def select_entries(checksums: Mapping[str, str], tag: str) -> Selection:
    """Choose, for every key the release provides, the archive to install (see the module docstring)."""
    check_tag(tag, "release")
    chosen: dict[str, _Candidate] = {}
    selection = Selection()
    for filename, sha in checksums.items():
        build = _BUILD_RE.match(filename)
        if build is not None and build[1] != tag:
            selection.other_release += 1
            continue
        cand = _candidate(filename, sha)
        if cand is None:
            if filename != SHA256SUMS_NAME:
                selection.not_installable += 1
            continue
        best = chosen.get(cand.entry.key)
        if best is None or cand.rank < best.rank:
            chosen[cand.entry.key] = cand
    selection.entries = {k: c.entry for k, c in sorted(chosen.items())}
    return selection
