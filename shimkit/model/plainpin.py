"""The plain-pin grammar: the requests a shell hook resolves by itself, without starting Python.

``3.12``, ``3.12.1``, ``3.13.0rc1``, ``3.13t``, ``3.12+debug``, ``cpython@3.12``, ``pypy3.10``:
an optional implementation spelling (and ``@``), ``2``-``4`` and a minor, an optional patch with
an optional pre-release, an optional variant; numbers without leading zeros, lower case.
Every hook template renders its matcher from these constants (:mod:`shimkit.shellrender`), and
tests/shells checks each real shell against :func:`plain_pin_regex` on generated pins; Python
itself parses the same words with :func:`shimkit.model.request.parse_request`.
"""

from __future__ import annotations

PLAIN_IMPLEMENTATIONS = (
    ("cpython", ("cpython", "python", "cp")),
    ("pypy", ("pypy", "pp")),
    ("graalpy", ("graalpy", "gp")),
)
PLAIN_VARIANTS = ("+freethreaded+debug", "+freethreaded", "+debug", "t")  # longest first; "t" = +freethreaded
PLAIN_MAJORS = "234"
PLAIN_PRE_TAGS = ("rc", "a", "b")


def plain_pin_regex(named: str = "(?P<{}>") -> str:
    """The plain-pin grammar as one anchored regular expression with groups ``impl``, ``ver`` and
    ``var``; ``named`` is the named-group syntax (``(?<{}>`` for PCRE, .NET and Rust)."""
    num = "(?:0|[1-9][0-9]*)"
    spellings = "|".join(s for _, group in PLAIN_IMPLEMENTATIONS for s in group)
    variants = "|".join(v.replace("+", "\\+") for v in PLAIN_VARIANTS)
    return (
        "^(?:"
        + named.format("impl")
        + spellings
        + ")@?)?"
        + named.format("ver")
        + "["
        + PLAIN_MAJORS
        + "]\\."
        + num
        + "(?:\\."
        + num
        + "(?:(?:"
        + "|".join(PLAIN_PRE_TAGS)
        + ")"
        + num
        + ")?)?)"
        + named.format("var")
        + variants
        + ")?$"
    )
