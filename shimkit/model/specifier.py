"""PEP 440 version specifiers over Python versions: ``>=3.11,<3.13``, ``==3.12.*``, ``~=3.11.0``.

Every operator but ``===``, with ``packaging``'s semantics for ``contains(v, prereleases=True)``
(``<3.13`` refuses ``3.13.0rc1``; ``==3.12`` is ``3.12.0`` only; ``==3.12.*`` takes any 3.12).
Spaces around operators and commas are allowed; :func:`str` gives the canonical form, clauses
in the order written, joined by ``,``.
"""

from __future__ import annotations

from .version import Version, is_int

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")  # two-character operators first
STARTS = ("<", ">", "=", "!", "~")


class Clause:
    """One ``op version`` clause."""

    __slots__ = ("op", "prefix", "version")

    def __init__(self, op: str, version: Version, prefix: bool = False) -> None:
        self.op = op
        self.version = version
        self.prefix = prefix  # "==3.12.*" / "!=3.12.*"

    @classmethod
    def parse(cls, text: str) -> Clause:
        text = text.strip()
        op = next((o for o in OPERATORS if text.startswith(o)), "")
        if not op or text.startswith("==="):
            raise ValueError(f"{text!r} does not start with one of {', '.join(OPERATORS)}")
        body = text[len(op) :].strip()
        prefix = body.endswith(".*")
        if prefix:
            body = body[:-2]
            if op not in ("==", "!=") or not all(is_int(p) for p in body.split(".")):
                raise ValueError(f"{text!r}: '.*' goes only after a release, with == or !=")
        version = Version.try_parse(body)
        if version is None:
            raise ValueError(f"{text!r}: {body!r} is not a Python version")
        if op == "~=" and len(version.release) < 2:
            raise ValueError(f"{text!r}: ~= needs at least two numbers (~=3.11)")
        return cls(op, version, prefix)

    def _prefix_match(self, v: Version, n: int) -> bool:
        return v.padded(n) == self.version.padded(n)

    def contains(self, v: Version) -> bool:
        spec, op = self.version, self.op
        if self.prefix:
            return self._prefix_match(v, len(spec.release)) == (op == "==")
        if op == "==":
            return v == spec
        if op == "!=":
            return v != spec
        if op == ">=":
            return v >= spec
        if op == "<=":
            return v <= spec
        if op == ">":
            return v > spec
        if op == "<":
            # a pre-release of the very version named is not "less" (PEP 440)
            return v < spec and not (v.is_prerelease and not spec.is_prerelease and v.base == spec.base)
        # ~=3.11.2 is >=3.11.2 together with ==3.11.*
        return v >= spec and self._prefix_match(v, len(spec.release) - 1)

    def __str__(self) -> str:
        return f"{self.op}{self.version}{'.*' if self.prefix else ''}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Clause) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class Specifiers:
    """A comma-separated list of clauses; a version must satisfy all of them."""

    __slots__ = ("clauses",)

    def __init__(self, clauses: tuple[Clause, ...]) -> None:
        self.clauses = clauses

    @classmethod
    def parse(cls, text: str) -> Specifiers:
        """:class:`ValueError` naming the bad clause for anything outside the grammar."""
        clauses: list[Clause] = []
        for part in text.split(","):
            clause = Clause.parse(part)
            if clause not in clauses:
                clauses.append(clause)
        return cls(tuple(clauses))

    @classmethod
    def try_parse(cls, text: str) -> Optional[Specifiers]:
        try:
            return cls.parse(text)
        except ValueError:
            return None

    def contains(self, v: Version) -> bool:
        return all(c.contains(v) for c in self.clauses)

    def __str__(self) -> str:
        return ",".join(map(str, self.clauses))

    def __repr__(self) -> str:
        return f"Specifiers({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Specifiers) and self.clauses == other.clauses

    def __hash__(self) -> int:
        return hash(self.clauses)
