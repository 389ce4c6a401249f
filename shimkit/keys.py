"""Installation keys: ``cpython-3.12.11-linux-x86_64-gnu`` and its minor key ``cpython-3.12-linux-x86_64-gnu``.

A key names one installation directory and one download; the minor key names the
minor-version link that always points at the highest installed patch of that key.
Format: ``{implementation}-{version}[+{variant}]-{os}-{arch}-{libc}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from .errors import RequestError

IMPLEMENTATIONS = ("cpython", "pypy", "graalpy")
VARIANTS = ("", "freethreaded", "debug", "freethreaded+debug")

_KEY_RE = re.compile(
    r"^(?P<impl>[a-z]+)-(?P<version>[0-9][0-9a-z.]*)(?:\+(?P<variant>freethreaded\+debug|freethreaded|debug))?"
    r"-(?P<os>[a-z0-9]+)-(?P<arch>[a-z0-9_]+)-(?P<libc>[a-z0-9]+)$"
)
_MINOR_KEY_RE = re.compile(r"^[a-z]+-\d+\.\d+(?:\+[a-z+]+)?-[a-z0-9]+-[a-z0-9_]+-[a-z0-9]+$")


@dataclass(frozen=True)
class PlatformTriple:
    """The platform part of a key: ``linux-x86_64-gnu``, ``windows-aarch64-none`` …"""

    os: str
    arch: str  # family plus optional micro-architecture: x86_64, x86_64_v3, aarch64 …
    libc: str  # gnu, musl, gnueabihf, none

    def __str__(self) -> str:
        return f"{self.os}-{self.arch}-{self.libc}"


@dataclass(frozen=True)
class PythonKey:
    """The identity of one installation or download."""

    implementation: str
    version: Version
    variant: str
    platform: PlatformTriple

    @property
    def major(self) -> int:
        return self.version.major

    @property
    def minor(self) -> int:
        return self.version.minor

    @property
    def is_prerelease(self) -> bool:
        return self.version.is_prerelease

    @property
    def freethreaded(self) -> bool:
        return "freethreaded" in self.variant

    @property
    def debug(self) -> bool:
        return "debug" in self.variant

    @property
    def variant_suffix(self) -> str:
        return f"+{self.variant}" if self.variant else ""

    def __str__(self) -> str:
        return f"{self.implementation}-{self.version}{self.variant_suffix}-{self.platform}"

    @property
    def minor_key(self) -> str:
        """The name of the minor-version link: ``cpython-3.12-linux-x86_64-gnu``."""
        return f"{self.implementation}-{self.major}.{self.minor}{self.variant_suffix}-{self.platform}"

    @property
    def minor_version(self) -> str:
        """``3.12``, ``3.13t`` (free-threaded), ``3.12d`` style short names used for executables."""
        return f"{self.major}.{self.minor}{'t' if self.freethreaded else ''}{'d' if self.debug else ''}"

    @property
    def minor_request(self) -> str:
        """The request for this key's minor version: ``3.12``, ``3.13t``, ``pypy@3.10``."""
        return self.minor_version if self.implementation == "cpython" else f"{self.implementation}@{self.minor_version}"

    def sort_key(self) -> tuple[bool, Version]:
        """Stable releases rank above pre-releases, then by version."""
        return (not self.is_prerelease, self.version)

    def executable_names(self) -> tuple[str, ...]:
        """Relative paths of the interpreter inside an installation, most specific first."""
        if self.platform.os == "windows":
            base = "pythont.exe" if self.freethreaded else "python.exe"
            if self.implementation == "pypy":
                base = "pypy.exe"
            return (base,)
        name = {"cpython": "python", "pypy": "pypy", "graalpy": "graalpy"}[self.implementation]
        mm = f"{self.major}.{self.minor}{'t' if self.freethreaded else ''}"
        return (f"bin/{name}{mm}", f"bin/{name}{self.major}", f"bin/{name}")


def parse_key(text: str) -> PythonKey:
    """Parse a full installation key; :class:`RequestError` if it is not one."""
    m = _KEY_RE.match(text.strip().lower())
    if not m or m["impl"] not in IMPLEMENTATIONS:
        raise RequestError(
            f"not an installation key: {text!r}",
            "keys look like cpython-3.12.3-linux-x86_64-gnu",
        )
    try:
        version = Version(m["version"])
    except InvalidVersion:
        raise RequestError(
            f"invalid version in key {text!r}", "keys look like cpython-3.12.3-linux-x86_64-gnu"
        ) from None
    if len(version.release) != 3:
        raise RequestError(f"key {text!r} needs a full major.minor.patch version")
    return PythonKey(m["impl"], version, m["variant"] or "", PlatformTriple(m["os"], m["arch"], m["libc"]))


def try_parse_key(text: str) -> PythonKey | None:
    """Like :func:`parse_key` but returns None for names that are not keys (e.g. minor links, ``.temp``)."""
    try:
        return parse_key(text)
    except RequestError:
        return None


def is_minor_key(name: str) -> bool:
    """True for names shaped like a minor-version link (``cpython-3.12-linux-x86_64-gnu``)."""
    return bool(_MINOR_KEY_RE.match(name))
