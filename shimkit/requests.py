"""Python requests: every form a user can type for ``install``, ``pin``, ``find``, ``venv -p`` and
that a ``.python-version`` file can hold.

Accepted forms (design notes §3)::

    3   3.12   3.12.3   3.13.0rc1   3.13t   3.13+freethreaded   3.12+debug
    >=3.11,<3.13   ==3.12.*                      (PEP 440 specifiers)
    cpython  cp  pypy  pp  graalpy  gp           (any version of that implementation)
    cpython@3.12  cpython3.12  cp312  pypy3.10  cpython>=3.12
    cpython-3.12.3-linux-x86_64-gnu              (a full key; any part may be "any")
    any  default
    /path/to/python  ./venv  ~/bin/python3       (an executable or an install/venv directory)
    mypython3                                    (an executable name looked up on PATH)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from packaging.version import Version

from .errors import RequestError
from .keys import PlatformTriple, PythonKey

ACCEPTED_FORMS = (
    "3, 3.12, 3.12.3, 3.13.0rc1, 3.13t, >=3.11,<3.13, cpython@3.12, cp312, pypy3.10, "
    "cpython-3.12.3-linux-x86_64-gnu, a path to an interpreter or environment, or an executable name"
)

_IMPL_ALIASES = {
    "cpython": "cpython",
    "cp": "cpython",
    "python": "cpython",
    "pypy": "pypy",
    "pp": "pypy",
    "graalpy": "graalpy",
    "gp": "graalpy",
}
_VERSION_RE = re.compile(
    r"^(?P<release>\d+(?:\.\d+){0,2})(?P<pre>(?:a|b|rc)\d+)?(?P<t>t)?"
    r"(?:\+(?P<variant>freethreaded\+debug|freethreaded|debug))?$"
)
_IMPL_PREFIX_RE = re.compile(r"^(?P<impl>cpython|graalpy|pypy|python|cp|pp|gp)(?P<rest>.*)$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
_SPEC_START = ("<", ">", "=", "!", "~")


@dataclass(frozen=True)
class VersionRequest:
    """A constraint on the version: exact parts, a specifier set, or anything."""

    release: tuple[int, ...] = ()  # (), (3,), (3, 12) or (3, 12, 3)
    pre: Optional[str] = None  # "rc1" (only with a full release)
    specifier: Optional[str] = None  # normalized PEP 440 specifier text
    variant: str = ""  # "", "freethreaded", "debug", "freethreaded+debug"

    def matches(self, version: Version, variant: str) -> bool:
        """Whether an interpreter of this version and build variant satisfies the request."""
        if variant != self.variant:
            return False
        if self.specifier is not None:
            from packaging.specifiers import SpecifierSet  # ~20 ms: only when a specifier is used

            return SpecifierSet(self.specifier).contains(version, prereleases=True)
        n = len(self.release)
        if n == 0:
            return True
        release = tuple(version.release) + (0,) * (3 - len(version.release))
        if release[:n] != self.release:
            return False
        if n == 3:
            pre = "".join(str(p) for p in version.pre) if version.pre else None
            return pre == self.pre
        return True

    @property
    def names_patch(self) -> bool:
        """True when the request pins one exact patch release (``3.12.3``, ``3.13.0rc1``)."""
        return len(self.release) == 3

    @property
    def is_minor(self) -> bool:
        """True for ``3.12``/``3.13t``: the form ``upgrade`` and the minor-version links work with."""
        return len(self.release) == 2 and self.specifier is None

    def __str__(self) -> str:
        if self.specifier is not None:
            text = self.specifier
        else:
            text = ".".join(str(p) for p in self.release) + (self.pre or "")
        if self.variant == "freethreaded":
            text += "t"
        elif self.variant:
            text += "+" + self.variant
        return text


ANY_VERSION = VersionRequest()


@dataclass(frozen=True)
class PythonRequest:
    """A parsed request.  ``kind`` is one of ``any``, ``version``, ``key``, ``path``, ``name``."""

    kind: str
    implementation: Optional[str] = None  # None = any implementation (CPython preferred)
    version: VersionRequest = ANY_VERSION
    platform: Optional[tuple[Optional[str], Optional[str], Optional[str]]] = None  # key requests: os, arch, libc
    path: Optional[Path] = None
    name: Optional[str] = None
    raw: str = ""

    # ---- matching -----------------------------------------------------------------
    def matches_key(self, key: PythonKey, host: PlatformTriple | None = None) -> bool:
        """Whether the managed installation or download ``key`` satisfies this request.

        ``host`` restricts the platform unless the request is a key naming its own platform parts.
        """
        if self.kind in ("path", "name"):
            return False
        impl = self.implementation or "cpython"
        if self.kind == "any" and self.implementation is None:
            impl = key.implementation
        if key.implementation != impl:
            return False
        if not self.version.matches(key.version, key.variant):
            return False
        want_os, want_arch, want_libc = self.platform or (None, None, None)
        if host is not None:
            # parts a key request leaves as "any" default to the host's; another OS has its own libc
            foreign_os = want_os is not None and want_os != host.os
            want_os = want_os or host.os
            want_arch = want_arch or host.arch
            want_libc = want_libc or (None if foreign_os else host.libc)
        p = key.platform
        return (
            (want_os is None or p.os == want_os)
            and (want_arch is None or p.arch == want_arch)
            and (want_libc is None or p.libc == want_libc)
        )

    def matches_interpreter(self, implementation: str, version: Version, variant: str) -> bool:
        """Whether a discovered interpreter satisfies the request (paths and names are matched by the caller)."""
        if self.kind in ("path", "name"):
            return True
        if self.implementation is not None and implementation != self.implementation:
            return False
        return self.version.matches(version, variant)

    @property
    def is_installable(self) -> bool:
        """Requests that can select a download (not a path or executable name)."""
        return self.kind in ("any", "version", "key")

    # ---- formatting ---------------------------------------------------------------
    def __str__(self) -> str:
        """The canonical form, as ``pin`` writes it."""
        if self.kind == "path":
            return str(self.path)
        if self.kind == "name":
            return self.name or ""
        if self.kind == "key":
            os_, arch, libc = self.platform or (None, None, None)
            version = str(self.version) if self.version != ANY_VERSION else "any"
            if self.version.variant == "freethreaded" and version.endswith("t"):
                version = version[:-1] + "+freethreaded"
            return "-".join([self.implementation or "any", version, os_ or "any", arch or "any", libc or "any"])
        version = str(self.version)
        if self.kind == "any":
            return self.implementation or "any"
        if self.implementation and self.implementation != "cpython":
            return f"{self.implementation}@{version}" if version else self.implementation
        if self.implementation == "cpython" and self.version.specifier is not None:
            return f"cpython@{version}"
        return version or "cpython"


def _bad(text: str, why: str = "") -> RequestError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    reason = f" ({why})" if why else ""
    return RequestError(f"invalid Python request {shown!r}{reason}", f"accepted forms: {ACCEPTED_FORMS}")


def parse_version_request(text: str) -> VersionRequest:
    """Parse the version part of a request: ``3.12``, ``3.13t``, ``>=3.11,<3.13`` …"""
    text = text.strip()
    if not text:
        return ANY_VERSION
    if text.startswith(_SPEC_START):
        from packaging.specifiers import InvalidSpecifier, SpecifierSet  # ~20 ms: only for specifiers

        variant = ""
        spec_text = text
        if spec_text.endswith("t") and not spec_text.endswith("*t"):
            # ">=3.13t": a free-threaded range
            spec_text, variant = spec_text[:-1], "freethreaded"
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            raise _bad(text, "not a valid version specifier") from None
        if not list(spec):
            raise _bad(text)
        # keep the user's order (a SpecifierSet is unordered); ties broken so the result is stable
        normalized = ",".join(
            str(s) for s in sorted(spec, key=lambda s: (spec_text.find(s.version), s.operator, s.version))
        )
        return VersionRequest(specifier=normalized, variant=variant)
    m = _VERSION_RE.match(text.lower())
    if not m:
        raise _bad(text)
    release = tuple(int(p) for p in m["release"].split("."))
    if len(release) == 1 and release[0] >= 10:
        # "312" means 3.12 (as in cp312)
        digits = m["release"]
        release = (int(digits[0]), int(digits[1:]))
    pre = m["pre"]
    if pre and len(release) != 3:
        raise _bad(text, "a pre-release needs a full version such as 3.13.0rc1")
    variant = m["variant"] or ""
    if m["t"]:
        if variant:
            raise _bad(text)
        variant = "freethreaded"
    if release and release[0] not in (2, 3, 4):
        raise _bad(text, "not a Python version")
    return VersionRequest(release=release, pre=pre, variant=variant)


_PLATFORM_PART = re.compile(r"^[a-z0-9_]+$")


def _parse_key_request(text: str) -> PythonRequest | None:
    parts = text.lower().split("-")
    if len(parts) != 5:
        return None
    impl, version_text, os_, arch, libc = parts
    if impl != "any" and impl not in _IMPL_ALIASES:
        return None
    try:
        version = ANY_VERSION if version_text == "any" else parse_version_request(version_text)
    except RequestError:
        return None
    if version.specifier is not None:
        return None
    # the same alphabet as installation names (shimkit.keys): nothing a path or shell could misread
    if not all(_PLATFORM_PART.match(p) for p in (os_, arch, libc)):
        return None

    def part(p: str) -> Optional[str]:
        return None if p == "any" else p

    return PythonRequest(
        kind="key",
        implementation=None if impl == "any" else _IMPL_ALIASES[impl],
        version=version,
        platform=(part(os_), part(arch), part(libc)),
        raw=text,
    )


def _looks_like_path(text: str) -> bool:
    if text.startswith(("~=", "<", ">", "=", "!")):  # "~=3.11.0" is a specifier, not a home directory
        return False
    return "/" in text or "\\" in text or text.startswith((".", "~")) or (len(text) > 1 and text[1] == ":")


def _expand_user(text: str) -> Path:
    try:
        return Path(text).expanduser()
    except RuntimeError:  # "~nosuchuser/python": keep it as typed (it will not be found)
        return Path(text)


def parse_request(text: str, *, allow_paths: bool = True) -> PythonRequest:
    """Parse any request form; :class:`RequestError` listing the accepted forms on bad input.

    ``allow_paths=False`` (used for version files and ``install``) refuses paths and executable names,
    so untrusted content can never name a file to run.
    """
    raw = text
    text = text.strip()
    if not text or any(c in text for c in "\0\n\r") or len(text) > 200:
        raise _bad(raw, "empty or not a single line" if len(text) <= 200 else "too long")
    low = text.lower()
    if low in ("any", "default"):
        return PythonRequest(kind="any", raw=raw)
    if _looks_like_path(text):
        if not allow_paths:
            raise _bad(raw, "paths are not accepted here")
        return PythonRequest(kind="path", path=_expand_user(text), raw=raw)
    if low in _IMPL_ALIASES and low != "python":
        return PythonRequest(kind="any", implementation=_IMPL_ALIASES[low], raw=raw)

    key = _parse_key_request(text)
    if key is not None:
        return key

    m = _IMPL_PREFIX_RE.match(text)
    if m and m["rest"] and (m["rest"][0] in "@<>=!~" or m["rest"][0].isdigit()):
        impl = _IMPL_ALIASES[m["impl"].lower()]
        rest = m["rest"][1:] if m["rest"].startswith("@") else m["rest"]
        try:
            return PythonRequest(kind="version", implementation=impl, version=parse_version_request(rest), raw=raw)
        except RequestError:
            if not allow_paths:
                raise _bad(raw) from None
            # e.g. "python3-custom": an executable name that happens to start with an implementation
    else:
        try:
            return PythonRequest(kind="version", version=parse_version_request(text), raw=raw)
        except RequestError:
            if not allow_paths or text[0].isdigit() or text.startswith(_SPEC_START):
                raise

    if _NAME_RE.match(text):
        return PythonRequest(kind="name", name=text, raw=raw)
    raise _bad(raw)


def parse_installable(text: str) -> PythonRequest:
    """Parse a request that must select a download (``install``, ``upgrade``)."""
    return parse_request(text, allow_paths=False)


def from_version(version: Version, implementation: str = "cpython", variant: str = "") -> PythonRequest:
    """The request for exactly one version (used by ``pin --resolved``)."""
    return PythonRequest(
        kind="version",
        implementation=None if implementation == "cpython" else implementation,
        version=VersionRequest(
            release=tuple(version.release[:3]),
            pre="".join(str(p) for p in version.pre) if version.pre else None,
            variant=variant,
        ),
    )
