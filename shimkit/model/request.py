"""Python requests: every form a user can type for ``install``, ``pin``, ``find``, ``venv -p``
and that a ``.python-version`` file can hold, and how one matches an installation or interpreter.

Accepted forms::

    3   3.12   3.12.3   3.13.0rc1   3.13rc1   313b1   3.13t   3.13+freethreaded   3.12+debug
    >=3.11,<3.13   >=3.11, <3.13   ==3.12.*      (PEP 440 specifiers, see .specifier;
                                                  a lone ``==3.12`` means the 3.12 series, as in uv)
    cpython  cp  pypy  pp  graalpy  gp           (any version of that implementation)
    cpython@3.12  cpython3.12  cp312  pypy3.10  cpython>=3.12  python3.12
    cpython-3.12.3-linux-x86_64-gnu              (a key: parts may be "any" or left out from the
    cpython-3.12   pypy-linux   any-3.13-any-aarch64   end, as uv reads them)
    any  default
    /path/to/python  ./venv  ~/bin/python3       (an executable or an install/venv directory)
    mypython3                                    (an executable name looked up on PATH)

One type serves every caller: :meth:`PythonRequest.parse` (``allow_paths=False`` for version
files and ``install``: untrusted text can never name a program to run), :func:`str` (the
canonical form ``pin`` writes), :meth:`~PythonRequest.matches_key` (an installation or a
download) and :meth:`~PythonRequest.matches_interpreter` (a probed interpreter).
"""

from __future__ import annotations

from ..errors import RequestError
from .key import ARCH_ALIASES, LIBCS, OS_ALIASES, PlatformTriple, PythonKey, platform_part
from .specifier import STARTS, Specifiers
from .version import DIGITS, Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Optional, Union

ACCEPTED_FORMS = (
    "3, 3.12, 3.12.3, 3.13.0rc1, 3.13t, >=3.11,<3.13, cpython@3.12, cp312, pypy3.10, "
    "cpython-3.12.3-linux-x86_64-gnu, a path to an interpreter or environment, or an executable name"
)
IMPL_ALIASES = {
    "cpython": "cpython",
    "cp": "cpython",
    "python": "cpython",
    "pypy": "pypy",
    "pp": "pypy",
    "graalpy": "graalpy",
    "gp": "graalpy",
}
# prefixes in the order they are tried ("cpython3.12" before "cp"); "python3.12" names no
# implementation (any, CPython preferred), as in uv
_IMPL_PREFIXES = ("cpython", "graalpy", "pypy", "python", "cp", "pp", "gp")
_ABSTRACT_PREFIX = "python"
_VARIANTS = ("freethreaded", "debug", "freethreaded+debug")
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NAME_CHARS = _NAME_FIRST | frozenset(".+-")
MAX_LENGTH = 200


class VersionRequest:
    """A constraint on the version: leading release numbers, a specifier set, or anything."""

    __slots__ = ("pre", "release", "specifiers", "variant")

    def __init__(
        self,
        release: tuple[int, ...] = (),
        pre: Optional[tuple[str, int]] = None,
        specifiers: Optional[Specifiers] = None,
        variant: str = "",
    ) -> None:
        self.release = release  # (), (3,), (3, 12) or (3, 12, 3)
        self.pre = pre  # ("rc", 1), only with a full release
        self.specifiers = specifiers
        self.variant = variant  # "", "freethreaded", "debug", "freethreaded+debug"

    def matches(self, version: Version, variant: str) -> bool:
        """Whether an interpreter of this version and build variant satisfies the request."""
        if variant != self.variant:
            return False
        if self.specifiers is not None:
            return self.specifiers.contains(version)
        n = len(self.release)
        if version.padded(3)[:n] != self.release:
            return False
        return n != 3 or version.pre == self.pre

    @property
    def names_patch(self) -> bool:
        """True when the request pins one exact patch release (``3.12.3``, ``3.13.0rc1``)."""
        return len(self.release) == 3

    def can_satisfy(self, required: Specifiers) -> bool:
        """Whether some final release this request matches satisfies ``required`` (a project's
        ``requires-python``): ``3.10`` cannot satisfy ``>=3.11``, ``3.12`` can satisfy
        ``>=3.12.4``.  A range is judged by what it resolves to, so it is not refused here."""
        if self.specifiers is not None or not self.release:
            return True
        n = len(self.release)
        if n == 3:
            return required.contains(Version(self.release, self.pre))
        # the requirement can only change its answer at its clauses' versions: trying each of
        # them and its neighbours (within this request's prefix) decides it exactly
        candidates = {self.release + (0,) * (3 - n), self.release + (10**6,) * (3 - n)}
        for clause in required.clauses:
            a, b, c = clause.version.padded(3)
            for d in (-1, 0, 1):
                candidates.update({(a, b, max(0, c + d)), (a, max(0, b + d), 0), (a, max(0, b + d), 10**6)})
        return any(required.contains(Version(r)) for r in candidates if r[:n] == self.release)

    @property
    def is_minor(self) -> bool:
        """True for ``3.12``/``3.13t``: the form ``upgrade`` and the minor-version links work with."""
        return len(self.release) == 2 and self.specifiers is None

    @property
    def minor(self) -> Optional[str]:
        """``3.12`` when the request names one minor version."""
        return f"{self.release[0]}.{self.release[1]}" if len(self.release) >= 2 else None

    def __str__(self) -> str:
        """The canonical form, as uv writes it: ``3.13rc1`` (not ``3.13.0rc1``), ``3.13+freethreaded``
        (``3.13t`` reads the same); ranges as ``>=3.11,<3.13`` (no space, unlike uv, so that a pin
        stays one word for pyenv-style readers, which split lines at whitespace)."""
        if self.specifiers is not None:
            text = str(self.specifiers)
        else:
            release = self.release
            if self.pre is not None and len(release) == 3 and release[2] == 0:
                release = release[:2]
            text = ".".join(map(str, release)) + (f"{self.pre[0]}{self.pre[1]}" if self.pre else "")
        return text + (f"+{self.variant}" if self.variant else "")

    def _identity(self) -> tuple[object, ...]:
        return (self.release, self.pre, self.specifiers, self.variant)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VersionRequest) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


ANY_VERSION = VersionRequest()


class PythonRequest:
    """A parsed request.  ``kind`` is one of ``any``, ``version``, ``key``, ``path``, ``name``."""

    __slots__ = ("implementation", "kind", "name", "path", "platform", "raw", "version")

    ANY: PythonRequest  # "any": no constraint (set below)

    def __init__(
        self,
        kind: str,
        implementation: Optional[str] = None,
        version: VersionRequest = ANY_VERSION,
        platform: Optional[tuple[Optional[str], Optional[str], Optional[str]]] = None,
        path: Optional[Path] = None,
        name: Optional[str] = None,
        raw: str = "",
    ) -> None:
        self.kind = kind
        self.implementation = implementation  # None = any implementation (CPython preferred)
        self.version = version
        self.platform = platform  # key requests: os, arch, libc (None = any)
        self.path = path
        self.name = name
        self.raw = raw

    # ---- parsing ----------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, *, allow_paths: bool = True) -> PythonRequest:
        """Parse any request form; :class:`RequestError` listing the accepted forms on bad input.

        ``allow_paths=False`` (version files, ``install``) refuses paths and executable names.
        """
        raw = text
        text = text.strip()
        if not text or any(c in text for c in "\0\n\r") or len(text) > MAX_LENGTH:
            raise _bad(raw, "empty or not a single line" if len(text) <= MAX_LENGTH else "too long")
        low = text.lower()
        if low in ("any", "default"):
            return cls("any", raw=raw)
        if _looks_like_path(text):
            if not allow_paths:
                raise _bad(raw, "paths are not accepted here")
            return cls("path", path=_expand_user(text), raw=raw)
        if low in IMPL_ALIASES and low != "python":
            return cls("any", implementation=IMPL_ALIASES[low], raw=raw)
        key = _parse_key_request(low, raw)
        if key is not None:
            return key
        prefix = next((p for p in _IMPL_PREFIXES if low.startswith(p)), None)
        rest = text[len(prefix) :] if prefix else ""
        if prefix and rest and (rest[0] in "@<>=!~" or rest[0] in DIGITS):
            try:
                version = parse_version_request(rest[1:] if rest[0] == "@" else rest)
                impl = None if prefix == _ABSTRACT_PREFIX else IMPL_ALIASES[prefix]
                return cls("version", implementation=impl, version=version, raw=raw)
            except RequestError:
                if not allow_paths:
                    raise _bad(raw) from None
                # e.g. "python3-custom": an executable name that starts like an implementation
        else:
            try:
                return cls("version", version=parse_version_request(text), raw=raw)
            except RequestError:
                if not allow_paths or text[0] in DIGITS or text.startswith(STARTS):
                    raise
        if text[0] in _NAME_FIRST and all(c in _NAME_CHARS for c in text):
            return cls("name", name=text, raw=raw)
        raise _bad(raw)

    @classmethod
    def try_parse(cls, text: str, *, allow_paths: bool = True) -> Optional[PythonRequest]:
        try:
            return cls.parse(text, allow_paths=allow_paths)
        except RequestError:
            return None

    @classmethod
    def exact(cls, version: Union[Version, str], implementation: str = "cpython", variant: str = "") -> PythonRequest:
        """The request for exactly one interpreter version (what ``pin --resolved`` writes)."""
        v = version if isinstance(version, Version) else Version.parse(version)
        return cls(
            "version",
            implementation=None if implementation == "cpython" else implementation,
            version=VersionRequest(release=v.padded(3), pre=v.pre, variant=variant),
        )

    # ---- matching ---------------------------------------------------------------------
    def matches_key(self, key: PythonKey, host: Optional[PlatformTriple] = None) -> bool:
        """Whether the managed installation or download ``key`` satisfies this request.

        ``host`` restricts the platform unless the request is a key naming its own platform parts.
        """
        if self.kind in ("path", "name"):
            return False
        impl = self.implementation or "cpython"
        if self.kind in ("any", "key") and self.implementation is None:
            impl = key.implementation  # "any", "any-3.12-…": every implementation (CPython ranks first)
        if key.implementation != impl or not self.version.matches(key.version, key.variant):
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

    def matches_interpreter(self, implementation: str, version: Union[Version, str], variant: str) -> bool:
        """Whether a discovered interpreter satisfies the request (paths and names are matched
        by the caller; a request without an implementation takes any, CPython being preferred
        by the search)."""
        if self.kind in ("path", "name"):
            return True
        if self.implementation is not None and implementation != self.implementation:
            return False
        v = version if isinstance(version, Version) else Version.try_parse(version)
        return v is not None and self.version.matches(v, variant)

    # ---- properties the search and the commands use -------------------------------------
    @property
    def is_installable(self) -> bool:
        """Requests that can select a download (not a path or executable name)."""
        return self.kind in ("any", "version", "key")

    @property
    def is_any(self) -> bool:
        """No constraint at all (``any``, or no request)."""
        return self.kind == "any" and self.implementation is None

    @property
    def names_patch(self) -> bool:
        return self.version.names_patch

    @property
    def minor(self) -> Optional[str]:
        """``3.12`` when the request names one minor version (``python3.12`` on PATH)."""
        return self.version.minor if self.version.specifiers is None else None

    @property
    def freethreaded(self) -> bool:
        return "freethreaded" in self.version.variant

    @property
    def text(self) -> str:
        """The canonical form (:func:`str`)."""
        return str(self)

    # ---- protocol ---------------------------------------------------------------------
    def __str__(self) -> str:
        """The canonical form, as ``pin`` writes it."""
        if self.kind == "path":
            return str(self.path)
        if self.kind == "name":
            return self.name or ""
        if self.kind == "key":
            os_, arch, libc = self.platform or (None, None, None)
            version = str(self.version) if self.version != ANY_VERSION else "any"
            return "-".join([self.implementation or "any", version, os_ or "any", arch or "any", libc or "any"])
        if self.kind == "any":
            return self.implementation or "any"
        version = str(self.version)
        if self.implementation:
            return f"{self.implementation}@{version}" if version else self.implementation
        return version

    def __repr__(self) -> str:
        return f"PythonRequest({str(self)!r})"

    def _identity(self) -> tuple[object, ...]:
        return (self.kind, self.implementation, self.version, self.platform, self.path, self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PythonRequest) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


PythonRequest.ANY = PythonRequest("any")


def _bad(text: str, why: str = "", hint: str = "") -> RequestError:
    """A malformed request lists the accepted forms; a well-formed one no Python can satisfy
    gets a ``hint`` of its own (the forms would not help)."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    reason = f" ({why})" if why else ""
    return RequestError(f"invalid Python request {shown!r}{reason}", hint or f"accepted forms: {ACCEPTED_FORMS}")


def _plain_version(low: str) -> Optional[VersionRequest]:
    """``3``, ``3.12``, ``312``, ``3.12.3``, ``3.13.0rc1``, ``3.13t``, ``3.12+debug`` (lower case)."""
    base, plus, variant = low.partition("+")
    if plus and variant not in _VARIANTS:
        return None
    if base.endswith("t"):
        if variant:
            return None
        base, variant = base[:-1], "freethreaded"
    i = 0
    while i < len(base) and (base[i] in DIGITS or base[i] == "."):
        i += 1
    numbers, pre_text = base[:i].split("."), base[i:]
    if not 1 <= len(numbers) <= 3 or not all(n and all(c in DIGITS for c in n) for n in numbers):
        return None
    release = tuple(int(n) for n in numbers)
    pre = None
    if pre_text:
        tag = next((t for t in ("rc", "a", "b") if pre_text.startswith(t)), "")
        digits = pre_text[len(tag) :]
        if not tag or not digits or not all(c in DIGITS for c in digits):
            return None
        pre = (tag, int(digits))
    if len(release) == 1 and release[0] >= 10:
        # "312" means 3.12 (as in cp312); "3100" 3.100, as in uv
        if len(numbers[0]) > 4:
            return None
        release = (int(numbers[0][0]), int(numbers[0][1:]))
    if pre is not None and len(release) == 2:
        release = (*release, 0)  # "3.13rc1" (what uv writes) is 3.13.0rc1
    return VersionRequest(release=release, pre=pre, variant=variant)


def parse_version_request(text: str) -> VersionRequest:
    """Parse the version part of a request: ``3.12``, ``3.13t``, ``>=3.11,<3.13`` …"""
    text = text.strip()
    if not text:
        return ANY_VERSION
    if text.startswith(STARTS):
        variant = ""
        spec_text = text
        if spec_text.endswith("t") and not spec_text.endswith("*t"):
            spec_text, variant = spec_text[:-1], "freethreaded"  # ">=3.13t": a free-threaded range
        try:
            specifiers = Specifiers.parse(spec_text)
        except ValueError:
            raise _bad(text, "not a valid version specifier") from None
        lone = specifiers.clauses[0] if len(specifiers.clauses) == 1 else None
        if lone is not None and lone.op == "==" and not lone.prefix and 1 <= len(lone.version.release) <= 3:
            # "==3.12" is the 3.12 series and "==3.12.1" that patch, as uv reads them (strict
            # PEP 440 would make "==3.12" 3.12.0 only; nobody pinning Python means that)
            v = lone.version
            release = v.padded(3) if v.pre is not None else v.release
            return VersionRequest(release=release, pre=v.pre, variant=variant)
        return VersionRequest(specifiers=specifiers, variant=variant)
    version = _plain_version(text.lower())
    if version is None:
        raise _bad(text)
    if version.pre is not None and len(version.release) != 3:
        raise _bad(text, "a pre-release needs a full version such as 3.13.0rc1")
    release = version.release
    if release and release[0] not in (2, 3, 4):
        raise _bad(text, "not a Python version")
    # requests no supported interpreter can satisfy are refused as such, as uv does (uv:
    # python_find.rs python_find_unsupported_version); 2.7 stays, for pyenv users' old projects
    if len(release) >= 2 and release[:2] < ((2, 7) if release[0] == 2 else (3, 6)):
        newer = "2.7, or 3.6 or newer" if release[0] == 2 else "3.6 or newer"
        raise _bad(
            text,
            f"Python {release[0]}.{release[1]} is not supported: 2.7 and 3.6 or newer are",
            f"ask for {newer} (e.g. 3.12)",
        )
    if "freethreaded" in version.variant and (release[:1] == (2,) or (len(release) >= 2 and release[:2] < (3, 13))):
        regular = ".".join(map(str, release))
        raise _bad(
            text,
            "free-threaded builds exist from Python 3.13 on",
            f"ask for {regular} (the regular build) or for 3.13t or newer",
        )
    return version


def _parse_key_request(low: str, raw: str) -> Optional[PythonRequest]:
    """A key request: ``implementation-version-os-arch-libc``, each part ``any`` or left out from
    the end; a part that does not fit its position moves on to the next (``pypy-linux``), as uv
    does.  With all five parts, os, arch and libc may be any key-safe names."""
    parts = low.split("-")
    if not 2 <= len(parts) <= 5:
        return None
    full = len(parts) == 5
    found: list[object] = [None, None, None, None, None]  # implementation, version, os, arch, libc

    def fits(pos: int, part: str) -> object:
        if pos == 0:
            return IMPL_ALIASES.get(part) if part != "python" else None
        if pos == 1:
            try:
                version = parse_version_request(part)
            except RequestError:
                return None
            return version if version.specifiers is None and version.release else None
        if pos == 2:
            return part if full and platform_part(part) else OS_ALIASES.get(part)
        if pos == 3:
            return part if full and platform_part(part) else ARCH_ALIASES.get(part)
        return part if (full and platform_part(part)) or part in LIBCS else None

    pos = 0
    for part in parts:
        while pos < 5:
            value = None if part == "any" else fits(pos, part)
            pos += 1
            if part == "any" or value is not None:
                found[pos - 1] = value
                break
        else:
            return None
    impl, version, os_, arch, libc = found
    return PythonRequest(
        "key",
        implementation=impl,  # type: ignore[arg-type]
        version=version if isinstance(version, VersionRequest) else ANY_VERSION,
        platform=(os_, arch, libc),  # type: ignore[arg-type]
        raw=raw,
    )


def _looks_like_path(text: str) -> bool:
    if text.startswith(("~=", "<", ">", "=", "!")):  # "~=3.11.0" is a specifier, not a home directory
        return False
    return "/" in text or "\\" in text or text.startswith((".", "~")) or (len(text) > 1 and text[1] == ":")


def _expand_user(text: str) -> Path:
    from pathlib import Path  # only path requests pay for pathlib

    try:
        return Path(text).expanduser()
    except RuntimeError:  # "~nosuchuser/python": keep it as typed (it will not be found)
        return Path(text)


def parse_request(text: str, *, allow_paths: bool = True) -> PythonRequest:
    """:meth:`PythonRequest.parse`."""
    return PythonRequest.parse(text, allow_paths=allow_paths)


def parse_installable(text: str) -> PythonRequest:
    """Parse a request that must select a download (``install``, ``upgrade``)."""
    return PythonRequest.parse(text, allow_paths=False)
