"""A project's Python requirement (``requires-python``) against pins and interpreters.

As uv does (uv: tests/python/python_pin.rs ``python_pin_compatible_with_requires_python``,
python_find.rs): ``pin`` refuses a version that cannot satisfy the project's (or, for a workspace
member, the workspace root's) ``requires-python``, and warns when a range, an existing pin or a
``find`` result falls outside it.
"""

from __future__ import annotations

from . import versionfile as vf
from .errors import RequestError
from .model.request import PythonRequest

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

    from .model.specifier import Specifiers
    from .model.version import Version


class Requirement:
    """One ``requires-python`` and the file it is in."""

    __slots__ = ("file", "specifiers", "text")

    def __init__(self, text: str, file: str, specifiers: Specifiers) -> None:
        self.text = text
        self.file = file
        self.specifiers = specifiers

    def describe(self) -> str:
        return f"requires-python `{self.text}` ({self.file})"


def requirements(cwd: str) -> list[Requirement]:
    """The requirements that apply in ``cwd``; a ``requires-python`` shimkit cannot read is left out
    (the search reports it where it is used as a request)."""
    out = []
    for text, file in vf.project_requirements(cwd, vf.ceiling_dirs()):
        try:
            req = PythonRequest.parse(text, allow_paths=False)
        except RequestError:
            continue
        spec = req.version.specifiers
        if spec is None:  # "==3.12" reads as the version request 3.12: the same constraint, as clauses
            from .model.specifier import Specifiers

            spec = Specifiers.parse(f"=={'.'.join(map(str, req.version.release))}.*") if req.version.release else None
        if spec is not None:
            out.append(Requirement(text, file, spec))
    return out


def refusing(req: PythonRequest, cwd: str) -> Optional[Requirement]:
    """The requirement a pin request can never satisfy, if any (``3.10`` under ``>=3.11``)."""
    if req.kind not in ("version", "key"):
        return None
    for r in requirements(cwd):
        if not req.version.can_satisfy(r.specifiers):
            return r
    return None


def violated_by(version: Version, cwd: str) -> Optional[Requirement]:
    """The requirement an interpreter of ``version`` does not satisfy, if any."""
    for r in requirements(cwd):
        if not r.specifiers.contains(version):
            return r
    return None
