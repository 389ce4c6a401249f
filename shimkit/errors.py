"""The error hierarchy: every failure a user can meet is one of these.

Each error carries a one-line ``message`` (what went wrong) and an optional ``hint``
(what to do about it).  The CLI turns them into a single line on stderr and an exit
code in exactly one place (:func:`shimkit.entry.main`), so core code never prints.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: hot commands should not pay for importing typing
if TYPE_CHECKING:
    from typing import ClassVar


class ShimkitError(Exception):
    """Base class: a failure with a user-facing message and hint."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint joined into the single line the CLI prints."""
        from .redact import for_terminal  # no password or terminal escape ever reaches the screen

        text = " ".join(self.message.split())
        if self.hint:
            text += "; hint: " + " ".join(self.hint.split())
        return for_terminal(text)


class ShimkitWarning(UserWarning):
    """Non-fatal news from the core, which never prints: ``warnings.warn(message, ShimkitWarning)``
    (or a subclass); the CLI shows each as one ``warning:`` line on stderr (hidden by ``-q``)."""


class UsageError(ShimkitError):
    """The command line or a request is malformed."""

    exit_code = 2


class RequestError(UsageError):
    """A Python request (``3.12``, ``>=3.11``, a key …) could not be parsed or is not valid here."""


class ConfigError(UsageError):
    """A settings file or environment variable holds an invalid value."""


class NotFoundError(ShimkitError):
    """Nothing satisfies a request (no installation, no download, no interpreter)."""

    exit_code = 2


class DownloadError(ShimkitError):
    """A download failed: HTTP error, timeout, truncated body, unreachable host."""


class ChecksumError(DownloadError):
    """A downloaded archive does not have the sha256 the metadata promised."""


class ArchiveError(ShimkitError):
    """An archive is corrupted, has an unexpected layout, or holds unsafe members."""


class VerificationError(ShimkitError):
    """An extracted interpreter does not run or is not what the metadata promised."""


class StoreError(ShimkitError):
    """The install dir or bin dir cannot be changed as asked (disk, permissions, ownership)."""


class InUseError(StoreError):
    """An installation is left in place because running processes use it."""


class LockTimeoutError(StoreError):
    """Another shimkit process held the lock for too long."""


class OfflineError(ShimkitError):
    """The network is needed but offline mode is on."""
