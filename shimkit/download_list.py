"""The download list's format: archives (:class:`Download`), a loaded list (:class:`Metadata`),
parsing both shapes of list (the embedded one and python-downloads.json), the embedded list, and
python-build-standalone archive names.

No I/O beyond reading the embedded list: which list is in force and which download a request
picks is :mod:`shimkit.downloads`; the refreshed list is :mod:`shimkit.metadata_cache`.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse

from .dirs import EMBEDDED_DOWNLOADS
from .errors import ConfigError, RequestError
from .model.key import PythonKey, parse_key
from .record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional


PBS_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download/"


class Download(Record, frozen=True):
    """One downloadable archive.  The key is parsed on first use: lists hold thousands of entries
    and most commands only look at the host's."""

    key_text: str
    url: str
    sha256: Optional[str]
    build: str

    @functools.cached_property
    def key(self) -> PythonKey:
        return parse_key(self.key_text)

    @property
    def filename(self) -> str:
        return urllib.parse.unquote(self.url.rstrip("/").rsplit("/", 1)[-1])

    def with_mirror(self, mirror: str | None) -> Download:
        """The same download with the PBS release prefix replaced by ``mirror``."""
        if not mirror or not self.url.startswith(PBS_PREFIX):
            return self
        base = mirror if mirror.endswith("/") else mirror + "/"
        return Download(self.key_text, base + self.url[len(PBS_PREFIX) :], self.sha256, self.build)


class Metadata(Record, frozen=True):
    """A loaded download list and where it came from."""

    downloads: tuple[Download, ...]
    source: str  # "embedded", "cache", or the override path/URL
    description: str
    newest_build: str

    def by_key(self) -> dict[str, Download]:
        return {d.key_text: d for d in self.downloads}


def _from_embedded_doc(doc: dict[str, Any]) -> tuple[list[Download], str]:
    prefix = doc.get("url_prefix", PBS_PREFIX)
    out = []
    for key, build, url, sha in doc["rows"]:
        if "://" not in url:
            url = prefix + url
        out.append(Download(key, url, sha or None, build))
    return out, str(doc.get("newest_build", ""))


def _from_uv_shape(doc: dict[str, Any], origin: str) -> tuple[list[Download], str]:
    """Parse the python-downloads.json shape; entries are validated one by one."""
    out = []
    newest = ""
    for name, e in doc.items():
        try:
            arch = e["arch"]
            if isinstance(arch, dict):
                arch_text = arch["family"] + (f"_{arch['variant']}" if arch.get("variant") else "")
            else:
                arch_text = str(arch)
            version = f"{int(e['major'])}.{int(e['minor'])}.{int(e['patch'])}{e.get('prerelease') or ''}"
            variant = f"+{e['variant']}" if e.get("variant") else ""
            key = parse_key(f"{e['name']}-{version}{variant}-{e['os']}-{arch_text}-{e['libc']}")
            url = str(e["url"])
            sha = e.get("sha256") or None
            build = str(e.get("build") or "")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{origin}: entry {name!r} is malformed ({type(exc).__name__}: {exc})",
                "the file must have the python-downloads.json shape",
            ) from None
        except Exception as exc:  # a RequestError from parse_key
            raise ConfigError(f"{origin}: entry {name!r} has an invalid key", str(exc)) from None
        if key.platform.os == "emscripten":
            continue
        out.append(Download(str(key), url, sha, build))
        if url.startswith(PBS_PREFIX):
            newest = max(newest, build)
    return out, newest


def parse_metadata(text: str | bytes, origin: str) -> tuple[list[Download], str]:
    """Parse either the embedded format or the python-downloads.json shape."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{origin} is not valid JSON: {exc}", "check the file or URL") from None
    except RecursionError:
        raise ConfigError(
            f"{origin} is not a download metadata file: it is nested too deeply", "check the file or URL"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{origin} is not a download metadata file", "expected a JSON object of entries")
    if doc.get("format") == 1 and "rows" in doc:
        return _from_embedded_doc(doc)
    return _from_uv_shape(doc, origin)


def check_urls(downloads: Iterable[Download], origin: str) -> None:
    """The rule for archive URLs in a download list: http(s), or ``file:`` when the list itself is
    local (a list fetched from a server cannot make shimkit read the user's files); no control
    characters anywhere (they would reach the terminal, and no server accepts them)."""
    remote = origin.startswith(("http://", "https://"))
    for d in downloads:
        scheme = urllib.parse.urlsplit(d.url).scheme.lower() if "://" in d.url else ""
        if not scheme and d.url.startswith("/"):
            scheme = "file"  # an absolute path
        bad = ""
        if any(ord(c) < 32 or ord(c) == 127 for c in d.url):
            bad = "holds control characters"
        elif scheme not in ("http", "https", "file"):
            bad = "is not an http(s) or file: URL"
        elif scheme == "file" and remote:
            bad = "names a local file, but the list comes from a server"
        if bad:
            from .redact import redact_url

            raise ConfigError(
                f"{origin}: the URL of {d.key_text} {bad}: {redact_url(repr(d.url))}", "check the download list"
            )


def load_embedded() -> Metadata:
    """The list shipped in the package."""
    with open(EMBEDDED_DOWNLOADS, "rb") as fh:
        doc = json.loads(fh.read())
    downloads, newest = _from_embedded_doc(doc)
    return Metadata(tuple(downloads), "embedded", str(doc.get("source", "")), newest)


_PBS_NAME_RE = re.compile(
    r"^cpython-(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)\+(?P<build>\d+)-(?P<arch>[a-z0-9_]+)"
    r"-(?:unknown|apple|pc)-(?P<os>linux|darwin|windows)(?:-(?P<libc>gnu|musl|gnueabi|gnueabihf|msvc))?"
    r"-(?P<flavor>[a-z0-9_+-]+?)\.(?P<ext>tar\.gz|tar\.zst|tar\.xz|tar\.bz2|zip)$"
)


def parse_archive_filename(filename: str) -> tuple[PythonKey, str]:
    """The key and build of a python-build-standalone archive, from its file name alone.

    ``cpython-3.12.11+20251007-x86_64-unknown-linux-gnu-install_only.tar.gz`` ->
    (``cpython-3.12.11-linux-x86_64-gnu``, ``20251007``).
    """
    name = urllib.parse.unquote(filename)
    m = _PBS_NAME_RE.match(name)
    if not m:
        raise RequestError(
            f"{filename!r} is not a python-build-standalone archive name",
            "expected e.g. cpython-3.12.11+20251007-x86_64-unknown-linux-gnu-install_only.tar.gz",
        )
    flavor = m["flavor"]
    variant = "+".join(
        v for v in ("freethreaded", "debug") if v in flavor.split("-")[0].split("+") or f"{v}-" in flavor
    )
    libc = m["libc"] or "none"
    if libc == "msvc":
        libc = "none"
    key = parse_key(f"cpython-{m['version']}{'+' + variant if variant else ''}-{m['os']}-{m['arch']}-{libc}")
    return key, m["build"]
