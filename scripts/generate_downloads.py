#!/usr/bin/env python3
"""Generate shimkit's embedded download metadata from a python-downloads.json snapshot.

Usage::

    python scripts/generate_downloads.py [SOURCE_JSON] [OUT]

SOURCE_JSON defaults to ``../shared/data/python-downloads.json`` (the shape uv publishes as
``download-metadata.json``: a mapping key -> {name, arch: {family, variant}, os, libc, major,
minor, patch, prerelease, url, sha256, variant, build}).  OUT defaults to
``shimkit/data/downloads.json``.

What is kept: every entry that a host can install (emscripten/wasm builds are dropped) and
that has a sha256 (shimkit never installs an unverified archive).  URLs under the
python-build-standalone release prefix are stored relative to it, so the file is smaller and
``--mirror`` is a plain prefix swap.  One JSON row per line keeps refresh diffs readable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PBS_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download/"
ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["key", "build", "url", "sha256"]


def convert(source: dict, origin: str) -> tuple[dict, int]:
    rows = []
    dropped = 0
    newest_build = ""
    for key, e in source.items():
        if e["os"] == "emscripten" or e["arch"]["family"].startswith("wasm") or not e.get("sha256"):
            dropped += 1
            continue
        arch = e["arch"]["family"] + (f"_{e['arch']['variant']}" if e["arch"].get("variant") else "")
        version = f"{e['major']}.{e['minor']}.{e['patch']}{e.get('prerelease') or ''}"
        variant = f"+{e['variant']}" if e.get("variant") else ""
        canonical = f"{e['name']}-{version}{variant}-{e['os']}-{arch}-{e['libc']}"
        if canonical != key:
            raise SystemExit(f"unexpected key {key!r} (computed {canonical!r})")
        url = e["url"]
        if url.startswith(PBS_PREFIX):
            url = url[len(PBS_PREFIX) :]
            newest_build = max(newest_build, e["build"])
        rows.append([key, e["build"], url, e["sha256"]])
    doc = {
        "format": 1,
        "source": origin,
        "newest_build": newest_build,
        "url_prefix": PBS_PREFIX,
        "fields": FIELDS,
        "rows": rows,
    }
    return doc, dropped


def dump(doc: dict) -> str:
    head = {k: v for k, v in doc.items() if k != "rows"}
    lines = [json.dumps(head)[:-1] + ', "rows": [']
    lines += [json.dumps(r, separators=(",", ":")) + "," for r in doc["rows"]]
    if doc["rows"]:
        lines[-1] = lines[-1][:-1]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data" / "python-downloads.json"
    out = Path(argv[2]) if len(argv) > 2 else ROOT / "shimkit" / "data" / "downloads.json"
    source = json.loads(src.read_text())
    origin_note = src.with_name("SOURCE.txt")
    origin = src.name
    if origin_note.exists():
        # the first sentence of SOURCE.txt says where the snapshot came from
        origin = " ".join(origin_note.read_text().split()).split(". ")[0]
    doc, dropped = convert(source, origin)
    text = dump(doc)
    json.loads(text)  # the writer above must produce valid JSON
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    print(f"wrote {out}: {len(doc['rows'])} entries ({dropped} dropped), newest build {doc['newest_build']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
