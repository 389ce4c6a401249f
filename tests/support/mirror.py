"""A PBS-like mirror on the loopback server: ``/<build>/<filename>`` archives and ``/downloads.json``.

Because archives sit at ``<mirror>/<build>/<filename>``, replacing the upstream prefix
``https://github.com/astral-sh/python-build-standalone/releases/download`` with ``mirror.url``
turns every upstream URL into a mirror URL, which is what ``--mirror`` tests need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional

from . import metadata
from .pbs import BuiltArchive
from .server import LoopbackServer, _Resource


@dataclass
class Mirror:
    """A running mirror.  Tests get it through the ``mirror`` fixture, which calls ``reset()``
    before and after each test, so faults, the request log, extra archives and a replaced
    ``/downloads.json`` never leak from one test into the next."""

    server: LoopbackServer
    archives: Dict[str, BuiltArchive]  # version -> archive
    downloads_json_path: Path  # a local copy of the served /downloads.json
    upstream_downloads_json_path: Path  # the same entries with upstream (github) URLs
    _baseline: Dict[str, _Resource] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        """The mirror's base URL (``http://127.0.0.1:PORT``), a drop-in for the upstream prefix."""
        return self.server.base_url

    @property
    def downloads_json_url(self) -> str:
        return self.server.url("/downloads.json")

    @staticmethod
    def archive_path(archive: BuiltArchive) -> str:
        """The URL path of ``archive`` on the mirror (what fault methods take)."""
        return f"/{archive.url_path}"

    def archive_url(self, archive: BuiltArchive) -> str:
        return metadata.archive_url(archive, self.url)

    def add_archive(self, archive: BuiltArchive) -> str:
        """Serve one more archive (until the next reset); returns its URL."""
        self.server.add_file(self.archive_path(archive), archive.path)
        return self.archive_url(archive)

    def publish(
        self,
        archives: Optional[Iterable[BuiltArchive]] = None,
        overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
        extra: Optional[Mapping[str, Mapping[str, Any]]] = None,
    ) -> Dict[str, Dict[str, Any]]:
        """Replace the served ``/downloads.json`` (until the next reset); returns the document."""
        doc = metadata.downloads_document(
            self.archives.values() if archives is None else archives, self.url, overrides=overrides, extra=extra
        )
        self.server.add("/downloads.json", (json.dumps(doc, indent=2) + "\n").encode(), content_type="application/json")
        return doc

    def reset(self) -> None:
        """Back to the session's state: no faults, empty request log, original content."""
        self.server.reset_state()
        self.server.restore_resources(self._baseline)


def start_mirror(archives: Mapping[str, BuiltArchive], workdir: Path) -> Mirror:
    """Start a server serving ``archives`` and their ``downloads.json``; stop it with
    ``mirror.server.stop()``."""
    workdir = Path(workdir)
    server = LoopbackServer().start()
    try:
        for archive in archives.values():
            server.add_file(Mirror.archive_path(archive), archive.path)
        doc = metadata.write_downloads_json(workdir / "downloads.json", archives.values(), server.base_url)
        server.add("/downloads.json", (json.dumps(doc, indent=2) + "\n").encode(), content_type="application/json")
        metadata.write_downloads_json(
            workdir / "upstream-downloads.json", archives.values(), metadata.UPSTREAM_BASE_URL
        )
    except BaseException:
        server.stop()
        raise
    mirror = Mirror(
        server=server,
        archives=dict(archives),
        downloads_json_path=workdir / "downloads.json",
        upstream_downloads_json_path=workdir / "upstream-downloads.json",
    )
    mirror._baseline = server.resources()
    return mirror
