"""Text that may reach a terminal or a log: URLs without their secrets, names without escapes.

* :func:`redact_url`: ``http://user:s3cr3t@host/x`` -> ``http://user:****@host/x`` (what uv
  prints); every message that names a URL goes through it.
* :func:`printable`: control characters (ESC sequences in a directory name or a ``file://``
  URL would drive the terminal) become ``?``, as the shell hooks show them; line breaks and
  tabs are kept.

Hot path (every printed line): ``re`` is imported only for a text that needs it (6 ms that
``init`` and ``--version`` would otherwise pay).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

_USERINFO_RE = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/?#@]*?)(?::(?P<pw>[^/?#@]*))?@"
_CONTROL_RE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]"


def _compiled(pattern: str) -> re.Pattern[str]:
    import re  # cached by re itself after the first compile

    return re.compile(pattern)


def redact_url(text: str) -> str:
    """``text`` (a URL, or a message holding URLs) with every URL's password as ``****``; a user
    name without a password is a token (``https://TOKEN@host``) and is masked whole."""

    def mask(m: re.Match[str]) -> str:
        if m.group("pw") is not None:
            return f"{m.group('scheme')}{m.group('user')}:****@"
        return f"{m.group('scheme')}****@"

    return _compiled(_USERINFO_RE).sub(mask, text) if "@" in text and "://" in text else text


def printable(text: str) -> str:
    """``text`` with control characters (other than tab and line break) replaced by ``?``."""
    return text if text.isprintable() else _compiled(_CONTROL_RE).sub("?", text)


def for_terminal(text: str) -> str:
    """Both: what every printed message goes through."""
    return printable(redact_url(text))
