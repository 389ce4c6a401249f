"""Version-file discovery (design §4): the walk, project boundaries, workspaces, ceilings, the
global file, and file contents as untrusted data.  A hypothesis test checks the walk against a
straightforward reference implementation on random trees."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shimkit
from shimkit import versionfile as vf
from shimkit.errors import StoreError

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]


def write(path: Path, text: str = "", raw: Optional[bytes] = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def found_tuple(f: Optional[vf.Found]) -> Optional[Tuple[str, str, Tuple[str, ...], Optional[str]]]:
    return None if f is None else (f.file, f.source, f.lines, f.root_dir())


# ---- file contents ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        (b"3.12\n", ["3.12"]),
        (b"3.12", ["3.12"]),
        (b"\xef\xbb\xbf3.11\r\n", ["3.11"]),  # BOM + CRLF (Notepad)
        (b"# pinned by the team\n\n   \n  3.12.1  \n", ["3.12.1"]),
        (b"3.12\r3.11\r", ["3.12", "3.11"]),  # old Mac line ends
        (b"\n\n#only a comment\n", []),
        (b"\t3.13t\t\n# trailing comment\n", ["3.13t"]),
        (b"3.1\xff2\n", ["3.1\ufffd2"]),  # invalid UTF-8 is kept (and later refused), never crashes
    ],
)
def test_read_lines_tolerates_bom_crlf_comments_blank_lines(tmp_path: Path, raw: bytes, lines: List[str]) -> None:
    assert vf.read_lines(write(tmp_path / ".python-version", raw=raw)) == lines


def test_both_file_kinds_hold_every_listed_version(tmp_path: Path) -> None:
    # pyenv's several versions: the first is `python`, every one adds its python3.X
    write(tmp_path / "a" / ".python-version", "3.12\n3.11\n")
    write(tmp_path / "b" / ".python-versions", "3.12\n# comment\n3.11\n")
    a = vf.discover(tmp_path / "a")
    b = vf.discover(tmp_path / "b")
    assert a is not None and a.lines == ("3.12", "3.11") and a.source == "version-file"
    assert b is not None and b.lines == ("3.12", "3.11") and b.source == "versions-file"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3.12.3 # comment\n", ["3.12.3"]),  # mise strips comments
        ("3.12 3.11\n", ["3.12", "3.11"]),  # whitespace-separated versions on one line
        ("2.7.6 one\n3.3.5 two\n", ["2.7.6", "3.3.5"]),  # pyenv: words after a version are free text
        ("3.3.5 2.7.6 hi\n", ["3.3.5", "2.7.6"]),
        ("  # 3.4.0\n#3.3.7\n3.9.3\n", ["3.9.3"]),
        ("3.12#no space\n", ["3.12"]),
        ("\t3.12\t>=3.9 pypy3.10\r\n", ["3.12", ">=3.9", "pypy3.10"]),
        ("mypython 3.12\n", ["mypython", "3.12"]),  # a first word is always a request (and refused later)
    ],
)
def test_words_and_comments_as_pyenv_and_mise_read_them(text: str, words: List[str]) -> None:
    assert vf.split_requests(text) == words


def test_huge_file_is_read_only_partially(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.12\n" + "x" * (5 * vf.MAX_FILE_BYTES))
    f = vf.discover(tmp_path)
    # the second line, cut at 64 KiB, is no request
    assert f is not None and f.lines == ("3.12",)


@pytest.mark.parametrize(
    "line",
    [
        "../../../../bin/sh",
        "/usr/bin/python3",
        "~/evil",
        "./python",
        "mypython",
        "$(rm -rf ~)",
        "3.12; rm -rf /",
        "`id`",
        "3.12\x00",
        "C:\\python\\python.exe",
        "x" * 300,
    ],
)
def test_untrusted_lines_never_become_paths_or_commands(tmp_path: Path, line: str) -> None:
    write(tmp_path / ".python-version", raw=line.encode() + b"\n")
    found = vf.discover(tmp_path)
    assert found is not None
    warnings: List[str] = []
    assert vf.requests_from(found, warnings.append) == []
    assert len(warnings) == 1 and str(found.file) in warnings[0] and "ignoring" in warnings[0]


def test_valid_lines_parse_and_bad_ones_are_dropped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path / ".python-versions", "3.12\nbin/python\n>=3.10,<3.12\ncp313\n")
    found = vf.discover(tmp_path)
    assert found is not None
    warnings: List[str] = []
    # cp313 keeps the implementation it names (uv's canonical form)
    assert [str(r) for r in vf.requests_from(found, warnings.append)] == ["3.12", ">=3.10,<3.12", "cpython@3.13"]
    assert warnings == [
        f"ignoring 'bin/python' in {tmp_path / '.python-versions'}: "
        "invalid Python request 'bin/python' (paths are not accepted here)"
    ]


# ---- the walk --------------------------------------------------------------------------------
def test_nearest_file_wins_and_same_level_prefers_python_version(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.10")
    write(tmp_path / "a" / ".python-versions", "3.11\n3.12")
    write(tmp_path / "a" / "b" / "c" / ".keep")
    f = vf.discover(tmp_path / "a" / "b" / "c")
    assert f is not None and f.file == str(tmp_path / "a" / ".python-versions")
    write(tmp_path / "a" / ".python-version", "3.13")
    f = vf.discover(tmp_path / "a" / "b" / "c")
    assert f is not None and f.file == str(tmp_path / "a" / ".python-version")
    f = vf.discover(tmp_path / "a" / "b" / "c", multiple=True)  # install with no argument
    assert f is not None and f.file == str(tmp_path / "a" / ".python-versions")


def test_non_regular_version_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.10")
    (tmp_path / "a" / ".python-version").mkdir(parents=True)  # a directory
    os.mkfifo(tmp_path / "a" / ".python-versions")  # reading a FIFO would block forever
    (tmp_path / "a" / "b").mkdir()
    os.symlink(tmp_path / "missing", tmp_path / "a" / "b" / ".python-version")  # dangling
    f = vf.discover(tmp_path / "a" / "b")
    assert f is not None and f.file == str(tmp_path / ".python-version")


def test_symlinked_version_file_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "pin", "3.12")
    (tmp_path / "p").mkdir()
    os.symlink(tmp_path / "shared" / "pin", tmp_path / "p" / ".python-version")
    f = vf.discover(tmp_path / "p")
    assert f is not None and f.lines == ("3.12",)


def test_project_boundary_stops_the_walk_and_requires_python_applies(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.10")  # outside the project: must not apply
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nname = "p"\nrequires-python = ">=3.11"\n')
    write(tmp_path / "proj" / "src" / "pkg" / "__init__.py")
    f = vf.discover(tmp_path / "proj" / "src" / "pkg")
    assert found_tuple(f) == (
        str(tmp_path / "proj" / "pyproject.toml"),
        "requires-python",
        (">=3.11",),
        str(tmp_path / "proj"),
    )


def test_project_without_pin_or_requires_python_falls_back_to_global(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.10")
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nname = "p"\n')
    glob = write(tmp_path / "config" / ".python-version", "3.12\n3.11\n")
    f = vf.discover(tmp_path / "proj", global_file=glob)
    assert found_tuple(f) == (str(glob), "global", ("3.12", "3.11"), None)
    assert vf.discover(tmp_path / "proj") is None


def test_version_file_in_project_beats_requires_python(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nrequires-python = ">=3.11"\n')
    write(tmp_path / "proj" / ".python-version", "3.12")
    (tmp_path / "proj" / "sub").mkdir()
    f = vf.discover(tmp_path / "proj" / "sub")
    assert found_tuple(f) == (
        str(tmp_path / "proj" / ".python-version"),
        "version-file",
        ("3.12",),
        str(tmp_path / "proj"),
    )


def test_outside_projects_the_walk_goes_to_the_root(tmp_path: Path) -> None:
    write(tmp_path / ".python-version", "3.10")
    deep = tmp_path / "a" / "b" / "c" / "d" / "e" / "f" / "g"
    deep.mkdir(parents=True)
    f = vf.discover(deep)
    assert f is not None and f.file == str(tmp_path / ".python-version") and f.root_dir() is None


def test_nested_projects_inner_one_is_the_boundary(tmp_path: Path) -> None:
    write(tmp_path / "outer" / "pyproject.toml", '[project]\nname = "outer"\n')
    write(tmp_path / "outer" / ".python-version", "3.10")
    write(tmp_path / "outer" / "inner" / "pyproject.toml", '[project]\nname = "inner"\nrequires-python = "~=3.12"\n')
    f = vf.discover(tmp_path / "outer" / "inner")
    assert f is not None and f.source == "requires-python" and f.lines == ("~=3.12",)
    assert vf.find_project_root(tmp_path / "outer" / "inner") == str(tmp_path / "outer" / "inner")


WORKSPACE = (
    '[project]\nname = "root"\nrequires-python = ">=3.10"\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    'exclude = ["packages/skip"]\n'
)


def test_workspace_member_walks_to_the_workspace_root(tmp_path: Path) -> None:
    write(tmp_path / "ws" / "pyproject.toml", WORKSPACE)
    write(tmp_path / "ws" / ".python-version", "3.12")
    write(tmp_path / "ws" / "packages" / "a" / "pyproject.toml", '[project]\nname = "a"\n')
    write(tmp_path / "ws" / "packages" / "skip" / "pyproject.toml", '[project]\nname = "skip"\n')
    write(tmp_path / "ws" / "packages" / "a" / "deep" / "x" / "pyproject.toml", '[project]\nname = "x"\n')
    f = vf.discover(tmp_path / "ws" / "packages" / "a" / "src")
    assert found_tuple(f) == (str(tmp_path / "ws" / ".python-version"), "version-file", ("3.12",), str(tmp_path / "ws"))
    # an excluded member and a project nested deeper than the glob are their own roots
    assert vf.discover(tmp_path / "ws" / "packages" / "skip") is None
    assert vf.discover(tmp_path / "ws" / "packages" / "a" / "deep" / "x") is None
    # a member without a pin of its own or of the root falls back to requires-python: its own, then the root's
    (tmp_path / "ws" / ".python-version").unlink()
    f = vf.discover(tmp_path / "ws" / "packages" / "a")
    assert found_tuple(f) == (
        str(tmp_path / "ws" / "pyproject.toml"),
        "requires-python",
        (">=3.10",),
        str(tmp_path / "ws"),
    )
    write(tmp_path / "ws" / "packages" / "a" / "pyproject.toml", '[project]\nname = "a"\nrequires-python = ">=3.12"\n')
    f = vf.discover(tmp_path / "ws" / "packages" / "a")
    assert f is not None and f.lines == (">=3.12",) and f.root_dir() == str(tmp_path / "ws")


def test_shimkit_workspace_table_and_double_star_globs(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.shimkit.workspace]\nmembers = ["libs/**"]\n')
    write(tmp_path / ".python-version", "3.11")
    write(tmp_path / "libs" / "group" / "m" / "pyproject.toml", "")
    assert vf.find_project_root(tmp_path / "libs" / "group" / "m") == str(tmp_path)
    f = vf.discover(tmp_path / "libs" / "group" / "m")
    assert f is not None and f.lines == ("3.11",)


@pytest.mark.parametrize(
    ("rel", "pattern", "expected"),
    [
        ("packages/a", "packages/*", True),
        ("packages/a/b", "packages/*", False),
        ("a", "*", True),
        ("x/y/z", "**", True),
        ("x/y/z", "x/**/z", True),
        ("x/z", "x/**/z", True),
        ("x/y", "x/**/z", False),
        ("lib-a", "lib-?", True),
        ("libs/a", "./libs/a", True),
    ],
)
def test_workspace_glob_semantics(rel: str, pattern: str, expected: bool) -> None:
    assert vf.glob_match(rel, pattern) is expected


def test_ceiling_paths_are_never_entered(tmp_path: Path) -> None:
    write(tmp_path / "mnt" / ".python-version", "3.10")
    write(tmp_path / "mnt" / "net" / ".python-version", "3.11")
    work = tmp_path / "mnt" / "net" / "share" / "work"
    write(work / "x")
    assert vf.discover(work, ceilings=[tmp_path / "mnt" / "net"]) is None
    # the start directory itself may be below a ceiling: only the ceiling and above are skipped
    write(work / ".python-version", "3.12")
    f = vf.discover(work, ceilings=[tmp_path / "mnt" / "net"])
    assert f is not None and f.lines == ("3.12",)
    # a ceiling that is the start directory: nothing is looked at
    assert vf.discover(work, ceilings=[str(work) + "/"], global_file=None) is None


def test_ceiling_env_parsing() -> None:
    env = {"SHIMKIT_CEILING_PATHS": os.pathsep.join(["/mnt/net/", "relative/dir", "", "/srv//nfs"])}
    assert vf.ceiling_dirs(env) == ("/mnt/net", "/srv/nfs")
    assert vf.ceiling_paths(env) == (Path("/mnt/net"), Path("/srv/nfs"))


def test_symlinked_directory_walks_logical_parents(tmp_path: Path) -> None:
    """A shell in ``link/`` (``$PWD`` keeps the link) walks the link's parents, like the hooks."""
    write(tmp_path / "logical" / ".python-version", "3.12")
    write(tmp_path / "physical" / ".python-version", "3.10")
    (tmp_path / "physical" / "proj").mkdir()
    os.symlink(tmp_path / "physical" / "proj", tmp_path / "logical" / "link")
    code = "from shimkit import versionfile as vf; f = vf.discover(vf.logical_cwd()); print(f.file)"
    env = dict(os.environ, PWD=str(tmp_path / "logical" / "link"), PYTHONPATH=str(Path(shimkit.__file__).parents[1]))

    def found_from_link() -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path / "logical" / "link", env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert found_from_link() == str(tmp_path / "logical" / ".python-version")
    # a stale PWD (another directory) is not trusted: the physical directory is used
    env["PWD"] = str(tmp_path)
    assert found_from_link() == str(tmp_path / "physical" / ".python-version")


def test_unreadable_version_file_is_skipped_with_a_warning() -> None:
    """chmod 000 means nothing to root, so as root the check runs as ``nobody`` in a child process
    (with Debian's /usr/bin/python3: the test venv's interpreter lives under /root)."""
    with tempfile.TemporaryDirectory(prefix="shimkit-unreadable-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        write(root / ".python-version", "3.10")
        blocked = write(root / "a" / ".python-version", "3.12")
        os.chmod(root / "a", 0o755)
        os.chmod(blocked, 0)
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); from shimkit import versionfile as vf; w = []; "
            "f = vf.discover(sys.argv[2], warn=w.append); print(f.file); print(w[0])"
        )
        args = [sys.executable, "-c", code, str(Path(shimkit.__file__).parents[1]), str(root / "a")]
        kwargs: Dict[str, object] = {}
        if os.geteuid() == 0:
            if not os.access("/usr/bin/python3", os.X_OK):
                pytest.fail("running as root needs /usr/bin/python3 (apt-get install python3) to drop privileges")
            args[0] = "/usr/bin/python3"
            kwargs = {"user": "nobody", "group": "nogroup"}
        proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
        assert proc.returncode == 0, proc.stderr
        found, warning = proc.stdout.splitlines()
        assert found == str(root / ".python-version")
        assert warning.startswith(f"cannot read {blocked}") and "ignoring it" in warning


def test_found_is_comparable_and_lazy_about_the_project_root(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "")
    write(tmp_path / "src" / ".python-version", "3.12")
    f = vf.discover(tmp_path / "src")
    assert f is not None
    assert f == vf.Found(tmp_path / "src" / ".python-version", "version-file", ["3.12"], tmp_path)
    assert f.path == tmp_path / "src" / ".python-version" and f.project_root == tmp_path
    assert vf.project_root(tmp_path / "src") == tmp_path


# ---- writing ---------------------------------------------------------------------------------
def test_write_version_file_is_atomic_and_reports_errors(tmp_path: Path) -> None:
    target = tmp_path / "new" / ".python-version"
    vf.write_version_file(target, ["3.12"])
    assert target.read_text() == "3.12\n"
    vf.write_version_file(target, ["3.11", "3.10"])
    assert target.read_bytes() == b"3.11\n3.10\n"
    assert sorted(p.name for p in target.parent.iterdir()) == [".python-version"]  # no temp file left
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot write"):
        vf.write_version_file(tmp_path / "file" / ".python-version", ["3.12"])
    vf.remove_version_file(target)
    assert not target.exists()
    with pytest.raises(StoreError, match="cannot remove"):
        vf.remove_version_file(target)


# ---- property: the walk equals a straightforward reference on random trees --------------------
def reference_discover(
    start: Path, ceilings: List[Path], global_file: Optional[Path], multiple: bool
) -> Optional[Tuple[str, str, Tuple[str, ...], Optional[str]]]:
    """The contract of design §4, written as plainly as possible with pathlib and Path.glob."""

    def lines_of(path: Path) -> List[str]:
        # every line's first word, and further words that look like requests (pyenv, mise)
        text = path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff")
        out = []
        for line in text.splitlines():
            words = line.partition("#")[0].split()
            chars = r"[A-Za-z0-9.@+*<>=!~,_-]*"
            out += words[:1] + [w for w in words[1:] if re.fullmatch(chars + "[0-9]" + chars, w)]
        return out

    def workspace_root(project: Path) -> Path:
        for parent in project.parents:
            if parent in ceilings:
                return project
            if (parent / "pyproject.toml").exists():
                data = tomllib.loads((parent / "pyproject.toml").read_text())
                ws = data.get("tool", {}).get("shimkit", {}).get("workspace") or data.get("tool", {}).get("uv", {}).get(
                    "workspace"
                )
                if isinstance(ws, dict):
                    members = {p for m in ws.get("members", []) for p in parent.glob(m) if p.is_dir()}
                    excluded = {p for m in ws.get("exclude", []) for p in parent.glob(m) if p.is_dir()}
                    if project in members and project not in excluded:
                        return parent
                return project
        return project

    def project_root(d: Path) -> Optional[Path]:
        for p in [d, *d.parents]:
            if p in ceilings:
                return None
            if (p / "pyproject.toml").exists():
                return workspace_root(p)
        return None

    first: Optional[Path] = None
    boundary: Optional[Path] = None
    names = [".python-versions", ".python-version"] if multiple else [".python-version", ".python-versions"]
    for d in [start, *start.parents]:
        if d in ceilings:
            break
        for name in names:
            f = d / name
            if f.is_file():
                lines = lines_of(f)
                root = boundary if boundary is not None else project_root(d)
                return (
                    str(f),
                    "version-file" if name == ".python-version" else "versions-file",
                    tuple(lines),
                    None if root is None else str(root),
                )
        if boundary is None and (d / "pyproject.toml").exists():
            first, boundary = d, workspace_root(d)
        if d == boundary:
            break
    if first is not None:
        for p in [first] if boundary == first else [first, boundary]:
            assert p is not None
            spec = tomllib.loads((p / "pyproject.toml").read_text()).get("project", {}).get("requires-python")
            if spec:
                return (str(p / "pyproject.toml"), "requires-python", (spec.strip(),), str(boundary))
    if global_file is not None and global_file.is_file():
        return (str(global_file), "global", tuple(lines_of(global_file)), None)
    return None


NAMES = ["a", "b", "c"]
dir_paths = st.lists(st.sampled_from(NAMES), min_size=0, max_size=4).map(tuple)
contents = st.sampled_from(["3.12\n", "# comment\n\n3.11\r\n", "", "\ufeff3.13t\n3.12\n", "garbage/../x\n"])
pyprojects = st.one_of(
    st.just('[project]\nname = "p"\n'),
    st.just('[project]\nrequires-python = ">=3.11"\n'),
    st.sampled_from(["*", "a", "b/*", "**", "a/b"]).map(
        lambda m: f'[project]\nrequires-python = "~=3.12"\n[tool.uv.workspace]\nmembers = ["{m}"]\n'
    ),
    st.sampled_from(["*", "c"]).map(lambda m: f'[tool.shimkit.workspace]\nmembers = ["{m}"]\nexclude = ["b"]\n'),
)
entries = st.tuples(dir_paths, st.sampled_from([".python-version", ".python-versions", "pyproject.toml"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.dictionaries(entries, st.one_of(contents, pyprojects), max_size=10),
    start=dir_paths,
    ceiling=st.one_of(st.none(), dir_paths),
    with_global=st.booleans(),
    multiple=st.booleans(),
)
def test_walk_matches_reference_on_random_trees(
    files: Dict[Tuple[Tuple[str, ...], str], str],
    start: Tuple[str, ...],
    ceiling: Optional[Tuple[str, ...]],
    with_global: bool,
    multiple: bool,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / "top"
        for (parts, name), text in files.items():
            if name == "pyproject.toml" and not text.startswith(("[project]", "[tool")):
                text = '[project]\nname = "x"\n'
            if name != "pyproject.toml" and text.startswith(("[project]", "[tool")):
                text = "3.10\n"
            write(top.joinpath(*parts, name), text)
        start_dir = top.joinpath(*start)
        start_dir.mkdir(parents=True, exist_ok=True)
        ceilings = [top.joinpath(*ceiling)] if ceiling is not None else []
        glob = write(Path(tmp) / "config" / ".python-version", "3.9\n") if with_global else None
        got = vf.discover(start_dir, ceilings=ceilings, global_file=glob, multiple=multiple)
        want = reference_discover(start_dir, ceilings, glob, multiple)
        assert found_tuple(got) == want


# ---- requires-python without the TOML parser -------------------------------------------------
PYPROJECT_PARTS = [
    '[project]\nname = "x"\nrequires-python = ">=3.11"\n',
    "[project]\nrequires-python = '>=3.10, <4'  # comment\n",
    '[project]\nrequires-python = "  ~=3.12  "\n',
    '[project]\nrequires-python = ""\n',
    '[ project ]\nrequires-python=">=3.9"\n',
    '[project]\n"requires-python" = ">=3.9"\n',
    'project.requires-python = ">=3.8"\n',
    'project = { name = "x", requires-python = ">=3.7" }\n',
    '[project]\nrequires-python = "\\u003e=3.9"\n',
    '[project]\ndescription = """\n[tool.x]\nrequires-python = "no"\n"""\nrequires-python = ">=3.12"\n',
    '[tool.hatch]\nrequires-python = ">=2.7"\n[project]\nname = "y"\n',
    '[project]\nclassifiers = [\n  "a",\n]\nrequires-python = ">=3.6"\n',
    '[project]\nx = [\n[1],\n]\nrequires-python = ">=3.5"\n',
    '[project.urls]\nrequires-python = "https://x"\n',
    '[[tool.envs]]\nrequires-python = ">=3"\n[project]\n',
    '# requires-python = ">=3.1"\n[project]\nname = "z"\n',
    "[project]\nrequires-python = 3\n",
    '[project]\nrequires-python = ">=3.9"\nrequires-python = ">=3.10"\n',
    '[tool.uv.workspace]\nmembers = ["a"]\n',
    '[project]\r\nrequires-python = ">=3.11"\r\n',
    '[project]\nname = "a\\"b"\nrequires-python = ">=3.4"\n',
]


@pytest.mark.parametrize("text", PYPROJECT_PARTS)
def test_scan_requires_python_agrees_with_tomllib(text: str, tmp_path: Path) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = None
    certain, value = vf.scan_requires_python(text)
    if data is not None and certain:
        expected = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
        assert value == (expected.strip() or None if isinstance(expected, str) else None)
    # whatever the scanner says, requires_python() answers what the TOML parser says
    path = write(tmp_path / "pyproject.toml", text)
    if data is not None:
        expected = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
        assert vf.requires_python(path) == (expected.strip() or None if isinstance(expected, str) else None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PYPROJECT_PARTS), min_size=1, max_size=4).map("".join))
def test_scan_requires_python_never_disagrees_on_combinations(text: str) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # invalid TOML: nothing to agree with
    certain, value = vf.scan_requires_python(text)
    if certain:
        project = data.get("project")
        expected = project.get("requires-python") if isinstance(project, dict) else None
        assert value == (expected.strip() or None if isinstance(expected, str) else None)


def test_scan_is_certain_about_ordinary_files() -> None:
    ordinary = Path(vf.__file__).parents[1] / "pyproject.toml"
    certain, value = vf.scan_requires_python(ordinary.read_text())
    assert certain and value == tomllib.loads(ordinary.read_text())["project"]["requires-python"]
