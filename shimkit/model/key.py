"""Installation keys: ``cpython-3.12.11-linux-x86_64-gnu`` and its minor key ``cpython-3.12-linux-x86_64-gnu``.

A key names one installation directory and one download; the minor key names the minor-version
link that always points at the highest installed patch of that key.
Format: ``{implementation}-{major.minor.patch[pre]}[+{variant}]-{os}-{arch}-{libc}``, lower case;
platform parts use ``[a-z0-9_]`` only, so a key is always a safe file name.
"""

from __future__ import annotations

from .version import DIGITS, Version, canonical_int, split_pre

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

IMPLEMENTATIONS = ("cpython", "pypy", "graalpy")
VARIANTS = ("", "freethreaded", "debug", "freethreaded+debug")
_EXE_STEM = {"cpython": "python", "pypy": "pypy", "graalpy": "graalpy"}
_PLATFORM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
KEY_HINT = "keys look like cpython-3.12.3-linux-x86_64-gnu"
# Platform names a partial key request (``pypy-linux``, ``any-3.13-any-aarch64``) recognizes by
# position, with the spellings other tools use mapped onto the ones keys are written with.
OS_ALIASES = {
    "linux": "linux",
    "darwin": "darwin",
    "macos": "darwin",
    "windows": "windows",
    "freebsd": "freebsd",
    "netbsd": "netbsd",
    "openbsd": "openbsd",
    "illumos": "illumos",
    "android": "android",
}
ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x86_64_v2": "x86_64_v2",
    "x86_64_v3": "x86_64_v3",
    "x86_64_v4": "x86_64_v4",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "i686": "i686",
    "i386": "i686",
    "i486": "i686",
    "i586": "i686",
    "x86": "i686",
    "armv7": "armv7",
    "armv7l": "armv7",
    "armv6": "armv6",
    "powerpc64le": "powerpc64le",
    "ppc64le": "powerpc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "loongarch64": "loongarch64",
}
LIBCS = ("gnu", "musl", "none", "gnueabi", "gnueabihf")


def platform_part(text: str) -> bool:
    """A non-empty os, arch or libc part: ``[a-z0-9_]+``."""
    return bool(text) and all(c in _PLATFORM_CHARS for c in text)


def canonical_version(text: str, parts: int) -> Optional[Version]:
    """``3.12.1`` / ``3.13.0rc1`` with exactly ``parts`` numbers, written canonically; else None."""
    i = 0
    while i < len(text) and (text[i] in DIGITS or text[i] == "."):
        i += 1
    numbers, rest = text[:i].split("."), text[i:]
    if len(numbers) != parts or not all(canonical_int(n) for n in numbers):
        return None
    pre = split_pre(rest) if rest else None
    if rest and (pre is None or f"{pre[0]}{pre[1]}" != rest):
        return None
    return Version(tuple(int(n) for n in numbers), pre)


class PlatformTriple:
    """The platform part of a key: ``linux-x86_64-gnu``, ``windows-aarch64-none`` …"""

    __slots__ = ("arch", "libc", "os")

    def __init__(self, os: str, arch: str, libc: str) -> None:
        self.os = os
        self.arch = arch  # family plus optional micro-architecture: x86_64, x86_64_v3, aarch64 …
        self.libc = libc  # gnu, musl, gnueabihf, none

    @classmethod
    def parse(cls, text: str) -> Optional[PlatformTriple]:
        """``os-arch-libc`` with key-safe parts, else None."""
        parts = text.split("-")
        if len(parts) != 3 or not all(platform_part(p) for p in parts):
            return None
        return cls(*parts)

    def __str__(self) -> str:
        return f"{self.os}-{self.arch}-{self.libc}"

    def __repr__(self) -> str:
        return f"PlatformTriple({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlatformTriple) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class PythonKey:
    """The identity of one installation or download."""

    __slots__ = ("implementation", "platform", "variant", "version")

    def __init__(self, implementation: str, version: Version, variant: str, platform: PlatformTriple) -> None:
        self.implementation = implementation
        self.version = version
        self.variant = variant
        self.platform = platform

    @classmethod
    def parse(cls, text: str) -> PythonKey:
        """Parse a full, canonical key; :class:`~shimkit.errors.RequestError` if it is not one."""
        key = cls.try_parse(text)
        if key is None:
            from ..errors import RequestError

            raise RequestError(f"not an installation key: {text!r}", KEY_HINT)
        return key

    @classmethod
    def try_parse(cls, text: str, *, numbers: int = 3) -> Optional[PythonKey]:
        """Like :meth:`parse`, None for names that are not keys (minor links, ``.temp`` …).
        ``numbers=2`` parses a minor key instead (its version is ``3.12``, no pre-release)."""
        parts = text.strip().lower().split("-")
        if len(parts) != 5 or parts[0] not in IMPLEMENTATIONS:
            return None
        impl, version_text, os_, arch, libc = parts
        version_text, plus, variant = version_text.partition("+")
        if (plus and not variant) or variant not in VARIANTS:
            return None
        version = canonical_version(version_text, numbers)
        if version is not None and numbers != 3 and version.is_prerelease:
            version = None
        platform = PlatformTriple.parse(f"{os_}-{arch}-{libc}")
        if version is None or platform is None:
            return None
        return cls(impl, version, variant, platform)

    # ---- parts ------------------------------------------------------------------------
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

    def sort_key(self) -> tuple[bool, Version, bool, str]:
        """Stable releases above pre-releases, then by version; ties: CPython first, then by name."""
        return (not self.is_prerelease, self.version, self.implementation == "cpython", str(self))

    def executable_names(self) -> tuple[str, ...]:
        """Relative paths of the interpreter inside an installation, most specific first."""
        if self.platform.os == "windows":
            if self.implementation == "pypy":
                return ("pypy.exe",)
            return ("pythont.exe" if self.freethreaded else "python.exe",)
        stem = _EXE_STEM[self.implementation]
        mm = f"{self.major}.{self.minor}{'t' if self.freethreaded else ''}"
        return (f"bin/{stem}{mm}", f"bin/{stem}{self.major}", f"bin/{stem}")

    # ---- protocol ---------------------------------------------------------------------
    def __str__(self) -> str:
        return f"{self.implementation}-{self.version}{self.variant_suffix}-{self.platform}"

    def __repr__(self) -> str:
        return f"PythonKey({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PythonKey) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def is_minor_key(name: str) -> bool:
    """True for names shaped like a minor-version link (``cpython-3.12-linux-x86_64-gnu``)."""
    return name == name.lower() and PythonKey.try_parse(name, numbers=2) is not None


def parse_key(text: str) -> PythonKey:
    """:meth:`PythonKey.parse`."""
    return PythonKey.parse(text)


def try_parse_key(text: str) -> Optional[PythonKey]:
    """:meth:`PythonKey.try_parse`."""
    return PythonKey.try_parse(text)
