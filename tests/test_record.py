"""shimkit.record: the data classes that replace ``dataclasses`` on the command paths."""

from __future__ import annotations

from typing import List, Optional

import pytest

from shimkit.record import Record, field


class Point(Record, frozen=True):
    x: int
    y: int = 0


class Bag(Record):
    name: str
    items: List[str] = field(default_factory=list)
    note: Optional[str] = None


def test_fields_defaults_and_keywords() -> None:
    assert Point(1) == Point(x=1, y=0) and Point(1, 2).y == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert Bag("a").as_dict() == {"name": "a", "items": [], "note": None}


def test_a_mutable_default_is_made_for_each_instance() -> None:
    a, b = Bag("a"), Bag("b")
    a.items.append("x")
    assert b.items == [] and a.items == ["x"]


def test_frozen_records_refuse_assignment_and_hash_by_value() -> None:
    p = Point(1, 2)
    with pytest.raises(AttributeError, match="frozen Point"):
        p.x = 3  # type: ignore[misc]
    assert {Point(1, 2): "v"}[Point(1, 2)] == "v"


def test_mutable_records_compare_by_value_and_are_unhashable() -> None:
    a = Bag("a")
    a.note = "n"
    assert a == Bag("a", note="n") and a != Bag("b")
    assert Point(1) != (1, 0)  # another class never compares equal
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [((), {}, "missing argument 'x'"), ((1, 2, 3), {}, "takes 2 arguments"), ((1,), {"x": 2}, "repeated argument")],
)
def test_wrong_arguments_are_type_errors(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)
