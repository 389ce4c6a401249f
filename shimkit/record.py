"""Plain data classes without the ``dataclasses`` module.

``import dataclasses`` brings ``inspect`` (and with it ``ast``, ``dis``, ``tokenize`` …): ~10 ms
on these machines, paid before ``install``, ``metadata`` or ``doctor`` do anything.  A subclass
of :class:`Record` declares its fields as annotations, with defaults as class attributes (and
:func:`field` for a mutable default), and gets ``__init__``, ``__repr__`` and ``__eq__`` (and
``__hash__`` when ``frozen=True``) from here; type checkers treat it as a dataclass
(``dataclass_transform``).  Only what shimkit uses: no ordering, no ``__post_init__``, no slots.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Callable, ClassVar, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A default made anew for each instance (``field(default_factory=list)``)."""
    return _Factory(default_factory)  # type: ignore[return-value]


_MISSING = object()


@dataclass_transform(field_specifiers=(field,))
class Record:
    """Base of shimkit's data classes (see the module docstring)."""

    __fields__: ClassVar[tuple[str, ...]] = ()
    __defaults__: ClassVar[dict[str, Any]] = {}
    __frozen__: ClassVar[bool] = False

    def __init_subclass__(cls, *, frozen: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls.__fields__)
        defaults = dict(cls.__defaults__)
        # the class's own annotations (strings: every shimkit module uses postponed evaluation);
        # inspect.get_annotations would import inspect, which is what this module avoids
        for name, note in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
            if str(note).startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in names:
                names.append(name)
            value = cls.__dict__.get(name, _MISSING)
            if value is not _MISSING:
                defaults[name] = value
                if isinstance(value, _Factory):
                    delattr(cls, name)
        cls.__fields__ = tuple(names)
        cls.__defaults__ = defaults
        cls.__frozen__ = frozen or cls.__frozen__
        if not cls.__frozen__:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value, as dataclasses do

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self.__fields__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} arguments, {len(args)} given")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated argument {name!r}")
            values[name] = value
        for name in names:
            if name not in values:
                default = self.__defaults__.get(name, _MISSING)
                if default is _MISSING:
                    raise TypeError(f"{type(self).__name__} is missing argument {name!r}")
                values[name] = default.make() if isinstance(default, _Factory) else default
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__frozen__:
            raise AttributeError(f"cannot assign to field {name!r} of frozen {type(self).__name__}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self.__frozen__:
            raise AttributeError(f"cannot delete field {name!r} of frozen {type(self).__name__}")
        object.__delattr__(self, name)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in self.__fields__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__fields__) + ")"

    def as_dict(self) -> dict[str, Any]:
        """The fields and their values (shallow)."""
        return {n: getattr(self, n) for n in self.__fields__}
