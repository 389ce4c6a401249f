"""Python version numbers: a release of one or more numbers and an optional a/b/rc pre-release.

That is the part of PEP 440 Python releases use (no epochs, post, dev or local versions).
Ordering and equality are PEP 440's: ``3.12 == 3.12.0``, ``3.13.0a1 < 3.13.0b1 < 3.13.0rc1 <
3.13.0``.  Spellings ``packaging`` normalizes are accepted (``3.13.0-rc1``, ``3.13.0c1``,
``3.13.0RC1``, ``3.13.0alpha1``); :func:`str` gives the canonical form.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

DIGITS = frozenset("0123456789")
PRE_TAGS = ("a", "b", "rc")
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_FINAL = 3  # ranks after every pre-release
# spelling -> canonical tag, longest spellings first (so "alpha" is not read as "a" + "lpha")
_PRE_SPELLINGS = (
    ("preview", "rc"),
    ("alpha", "a"),
    ("beta", "b"),
    ("pre", "rc"),
    ("rc", "rc"),
    ("c", "rc"),
    ("a", "a"),
    ("b", "b"),
)


def is_int(text: str) -> bool:
    """Decimal digits only (no sign, no spaces)."""
    return bool(text) and all(c in DIGITS for c in text)


def canonical_int(text: str) -> bool:
    """Digits written as ``str(int(text))`` writes them (no leading zero)."""
    return is_int(text) and (text == "0" or text[0] != "0")


def split_pre(text: str) -> Optional[tuple[str, int]]:
    """``rc1`` -> ``("rc", 1)``, ``-beta2`` -> ``("b", 2)``, ``rc`` -> ``("rc", 0)``; None if not one."""
    low = text.lower()
    if low[:1] in "-_.":
        low = low[1:]
    for spelling, tag in _PRE_SPELLINGS:
        if low.startswith(spelling):
            rest = low[len(spelling) :]
            if rest[:1] in "-_.":
                rest = rest[1:]
            if rest == "":
                return tag, 0
            return (tag, int(rest)) if is_int(rest) else None
    return None


class Version:
    """An immutable, ordered Python version."""

    __slots__ = ("_order", "pre", "release")

    release: tuple[int, ...]
    pre: Optional[tuple[str, int]]

    def __init__(self, release: tuple[int, ...], pre: Optional[tuple[str, int]] = None) -> None:
        if not release:
            raise ValueError("a version needs at least one number")
        self.release = tuple(release)
        self.pre = pre
        trimmed = self.release
        while len(trimmed) > 1 and trimmed[-1] == 0:
            trimmed = trimmed[:-1]
        self._order = (trimmed, _PRE_RANK[pre[0]] if pre else _FINAL, pre[1] if pre else 0)

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``3.12.1``, ``3.13.0rc1``, ``3.13rc1`` …; :class:`ValueError` for anything else."""
        version = cls.try_parse(text)
        if version is None:
            raise ValueError(f"not a Python version: {text!r}")
        return version

    @classmethod
    def try_parse(cls, text: str) -> Optional[Version]:
        """Like :meth:`parse`, None instead of an error."""
        text = text.strip()
        i = 0
        while i < len(text) and (text[i] in DIGITS or text[i] == "."):
            i += 1
        numbers, rest = text[:i], text[i:]
        if not numbers or numbers.endswith(".") or numbers.startswith("."):
            # "3.13.0.rc1": the dot belongs to the pre-release
            if numbers.endswith(".") and rest and numbers[:-1] and not numbers[:-1].endswith("."):
                numbers, rest = numbers[:-1], "." + rest
            else:
                return None
        parts = numbers.split(".")
        if not all(parts):
            return None
        pre = None
        if rest:
            pre = split_pre(rest)
            if pre is None:
                return None
        return cls(tuple(int(p) for p in parts), pre)

    # ---- parts ------------------------------------------------------------------------
    def _part(self, i: int) -> int:
        return self.release[i] if len(self.release) > i else 0

    @property
    def major(self) -> int:
        return self._part(0)

    @property
    def minor(self) -> int:
        return self._part(1)

    @property
    def micro(self) -> int:
        return self._part(2)

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None

    @property
    def pre_text(self) -> str:
        """``rc1`` (empty for a final release)."""
        return f"{self.pre[0]}{self.pre[1]}" if self.pre else ""

    @property
    def base(self) -> Version:
        """The final release this is (a pre-release of)."""
        return Version(self.release)

    def padded(self, n: int = 3) -> tuple[int, ...]:
        """The release padded with zeros (or cut) to ``n`` numbers."""
        return (self.release + (0,) * n)[:n]

    # ---- protocol ---------------------------------------------------------------------
    def __str__(self) -> str:
        return ".".join(map(str, self.release)) + self.pre_text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def __hash__(self) -> int:
        return hash(self._order)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._order == other._order

    def __lt__(self, other: Version) -> bool:
        return self._order < other._order

    def __le__(self, other: Version) -> bool:
        return self._order <= other._order

    def __gt__(self, other: Version) -> bool:
        return self._order > other._order

    def __ge__(self, other: Version) -> bool:
        return self._order >= other._order
