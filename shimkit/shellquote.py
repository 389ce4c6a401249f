"""Quoting a value for each shell the hooks and rc lines are written in (no imports: the
cached path of ``shimkit init`` uses it, and so do the rendering filters)."""

from __future__ import annotations

_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def sh_quote(value: object) -> str:
    """POSIX single quotes: everything literal, ``'`` as ``'\\''``."""
    return "'" + str(value).replace("'", "'\\''") + "'"


def fish_quote(value: object) -> str:
    """fish single quotes: only ``\\\\`` and ``\\'`` are escapes."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def nu_quote(value: object) -> str:
    """A nushell double-quoted string (no interpolation; control characters escaped)."""
    out = []
    for ch in str(value):
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def py_quote(value: object) -> str:
    """A Python (xonsh) string literal."""
    return repr(str(value))


def ps_quote(value: object) -> str:
    """PowerShell single quotes: ``'`` doubled (also the typographic quotes PowerShell accepts)."""
    text = str(value)
    for q in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(q, q + q)
    return "'" + text + "'"
