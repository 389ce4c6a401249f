# shimkit: keep this process on the patch release it started with.
#
# shimkit copies this file into every CPython installation it makes, as ``<stdlib>/sitecustomize.py``
# (never imported from the shimkit package itself).  ``site`` imports it at start-up, in the
# installation and in every virtual environment built on it, with or without ``-I`` (not with ``-S``).
#
# An interpreter started through a minor-version link (``…/cpython-3.12-linux-x86_64-gnu/bin/…``)
# finds its standard library through that link, so after ``shimkit upgrade`` moves the link, modules it
# imports for the first time would come from the new patch and C extensions would fail to load into
# the old binary.  Here the paths that go through the link (``sys.path``, the prefixes, the modules
# already imported, ``site`` and ``sysconfig``) are rewritten to name the patch directory the running
# binary belongs to: the sibling of the link named by ``sys.version_info``.  Then the next
# ``sitecustomize`` on ``sys.path`` (a user's own, in site-packages) runs, as if this one were not there.
#
# It runs at every interpreter start: it must work on every CPython shimkit installs (3.9 and
# later), import only modules that are loaded by then (``os``, ``sys``, the import system), and
# list no directory again (docs/design.md has the start-up cost, measured by benchmarks/bench_bin.py).
# (Comments rather than docstrings: they cost nothing to load.)

import os
import sys


def _link_and_patch() -> "tuple[str, str] | None":
    # (link path, patch path) when this interpreter's prefix is a shimkit minor-version link.
    # Plain string operations and os.stat: the first call of an os.path function costs more.
    link = sys.base_prefix
    head, sep, name = link.rpartition(os.sep)
    parts = name.split("-", 2)
    if not sep or len(parts) != 3:
        return None
    v = sys.version_info
    minor, plus, variant = parts[1].partition("+")
    if minor != f"{v[0]}.{v[1]}":
        return None  # a patch directory (no link involved), or not a shimkit installation
    level = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v[3]) if v[3] != "final" else None
    version = f"{v[0]}.{v[1]}.{v[2]}{level}{v[4]}" if level else f"{v[0]}.{v[1]}.{v[2]}"
    patch = f"{head}{sep}{parts[0]}-{version}{plus}{variant}-{parts[2]}"
    try:
        if os.stat(patch).st_mode & 0o170000 == 0o040000:  # a directory
            return link, patch
    except OSError:
        pass
    return None


def _pin(link: str, patch: str) -> None:
    n = len(link)
    seps = (os.sep, os.altsep or os.sep)

    def fix(p: str) -> str:
        if isinstance(p, str) and p.startswith(link) and (len(p) == n or p[n] in seps):
            return patch + p[n:]
        return p

    sys.path[:] = [fix(p) for p in sys.path]
    # The finders of the old entries already listed these directories: give each new entry a copy
    # (a finder checks its directory's mtime before trusting its listing, so a copy is never stale).
    from _frozen_importlib_external import FileFinder

    finders = sys.path_importer_cache
    for entry, finder in list(finders.items()):
        new = fix(entry) if isinstance(entry, str) else entry
        if new is entry or new in finders:
            continue
        if finder is None:
            finders[new] = None
        elif type(finder) is FileFinder:
            finders[new] = copy = object.__new__(FileFinder)
            copy.__dict__.update(finder.__dict__)
            copy.path = new
    for attr in ("prefix", "exec_prefix", "base_prefix", "base_exec_prefix", "_stdlib_dir"):
        if hasattr(sys, attr):
            setattr(sys, attr, fix(getattr(sys, attr)))
    # The packages imported so far find their submodules through __path__.  (Modules' __file__,
    # specs and code objects keep naming the link: that only shows in tracebacks.)
    for module in list(sys.modules.values()):
        d = getattr(module, "__dict__", None)
        path = d.get("__path__") if d is not None else None
        if isinstance(path, list) and path and path[0].startswith(link):
            path[:] = [fix(p) for p in path]
            if isinstance(d.get("__file__"), str):  # type: ignore[union-attr]
                d["__file__"] = fix(d["__file__"])  # type: ignore[index]
    site = sys.modules.get("site")
    if site is not None and isinstance(getattr(site, "PREFIXES", None), list):
        site.PREFIXES[:] = [fix(p) for p in site.PREFIXES]
    sysconfig = sys.modules.get("sysconfig")  # imported early only by some .pth files
    if sysconfig is not None:
        for attr in ("_PREFIX", "_BASE_PREFIX", "_EXEC_PREFIX", "_BASE_EXEC_PREFIX", "_PROJECT_BASE"):
            if isinstance(getattr(sysconfig, attr, None), str):
                setattr(sysconfig, attr, fix(getattr(sysconfig, attr)))
        cached = getattr(sysconfig, "_CONFIG_VARS", None)
        if isinstance(cached, dict):
            for k, value in cached.items():
                if isinstance(value, str):
                    cached[k] = fix(value)


def _next_sitecustomize(here: str) -> None:
    # Run the sitecustomize that this one hides: the first after this directory on sys.path.
    import _frozen_importlib
    import _frozen_importlib_external

    entries = sys.path
    if here in entries:
        rest = entries[entries.index(here) + 1 :]
    else:  # found through an entry spelled differently: every other directory
        rest = [p for p in entries if os.path.abspath(p or os.curdir) != here]
    spec = _frozen_importlib_external.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or spec.origin == __file__:
        return
    module = _frozen_importlib.module_from_spec(spec)
    sys.modules["sitecustomize"] = module  # `import sitecustomize` now means the user's module
    spec.loader.exec_module(module)


if __name__ == "sitecustomize":
    _found = _link_and_patch()
    if _found is not None:
        _pin(*_found)
        if __file__.startswith(_found[0]):
            __file__ = _found[1] + __file__[len(_found[0]) :]
    _next_sitecustomize(__file__.rpartition(os.sep)[0])
    del _found
