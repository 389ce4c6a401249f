"""The pure-shell resolution agrees with the Python core on random trees.

For each seed a random tree of directories is built: ``.python-version``/``.python-versions``
files with plain pins (installed or not), ranges, odd whitespace, BOMs, CRLF, comments, hostile
or binary content, directories and dangling symlinks named like version files, ``pyproject.toml``
projects and uv workspaces, symlinked directories, ``SHIMKIT_CEILING_PATHS`` in various
spellings, and a global pin.  Every shell then cds into every directory and reports the bin dir
its hook put on PATH; the reference is :func:`shimkit.hookresolve.resolve` (``find``'s
resolution: the :func:`shimkit.versionfile.discover` walk plus :class:`shimkit.discovery.Search`)
on the same directory, in the same environment.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from shell_harness import FakeStore, find_shell, fish_quote, nu_quote

from shimkit import shell as shell_mod
from shimkit.hookresolve import resolve
from shimkit.model.key import PlatformTriple
from shimkit.settings import Settings

SEEDS = range(6)
SHELLS = ["bash", "zsh", "dash", "ksh", "fish", "xonsh", "nu"]

INSTALLED = [
    "3.11",
    "3.12",
    "3.13",
    "3.12.1",
    "3.11.7",
    "3.13.0",
    "cpython@3.12",
    "python3.11",
    "cp3.13",
    "pypy@3.10",
    "3.12 ",
    "  3.13\t",
    "\ufeff3.12",
    "3.12\r\n",
    "3.11\n",
]
MISSING = ["3.10", "3.12.9", "3.13t", "3.12+debug", "2.7", "3.13.0rc1", "graalpy@3.11"]
NON_PLAIN = [
    ">=3.12",
    ">=3.11,<3.12",
    "3",
    "cp312",
    "==3.12.*",
    "CPython@3.12",
    "3.012",
    "any",
    "cpython",
    "~=3.11.0",
    ">=3.14",
]
HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    "3.12; touch pwned",
    "../../bin/sh",
    "3.12\x0b3.11",
    "\x00",
    "3.1\x002",
    "x" * 300,
    "3.12 3.11",
    "\xff\xfe3.12",
    "3.12\r3.11\r",
    "\u20283.12",
    "3.12\u2028",
]
MULTI = [
    "# comment\n3.12\n",
    "\n\n3.13\n3.11\n",
    "#only\n",
    "",
    "   \n\t\n",
    "3.12\n$(touch pwned)\n",
    "# c\r\n\r\n3.11\r\n",
    "#\x0b3.12\n3.13\n",
    "\ufeff# bom\n3.12\n",
]
NAMES = ["a", "b c", "q'x", "é", "$x", "sub", "src", 'd"q', "packages", "lib"]
PYPROJECTS = [
    '[project]\nname = "p"\n',
    '[project]\nname = "p"\nrequires-python = ">=3.12"\n',
    '[project]\nname = "p"\nrequires-python = "==3.11.*"\n',
    '[project]\nname = "p"\nrequires-python = ">=3.14"\n',
    '[project]\nname = "ws"\nrequires-python = ">=3.13"\n[tool.uv.workspace]\nmembers = ["*"]\n',
    '[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/b c"]\n',
    "this is [not toml\n",
]
# dash's `read` drops NUL bytes ("3.1\0 2" reads as 3.12), and fish cannot see a NUL that ends a
# file; both only matter for files that are garbage anyway (the shell then pins a valid version)
SKIP_CONTENT = {"dash": {"3.1\x002"}, "fish": set()}


def random_content(rng: random.Random) -> str:
    pool = rng.choice([INSTALLED, INSTALLED, MISSING, NON_PLAIN, HOSTILE, MULTI])
    return rng.choice(pool)


def build_tree(root: Path, rng: random.Random, shell: str) -> Tuple[List[Path], Dict[str, str]]:
    """Create a random tree under root; returns the directories to visit and the environment."""
    dirs: List[Path] = [root]
    root.mkdir(parents=True)
    frontier = [(root, 0)]
    while frontier:
        d, depth = frontier.pop()
        if depth < 4:
            for name in rng.sample(NAMES, rng.randint(0, 3 if depth < 2 else 2)):
                child = d / name
                child.mkdir()
                dirs.append(child)
                frontier.append((child, depth + 1))
    for d in dirs:
        r = rng.random()
        if r < 0.30:
            name = rng.choice([".python-version"] * 4 + [".python-versions"])
            content = random_content(rng)
            while content in SKIP_CONTENT.get(shell, set()):
                content = random_content(rng)
            (d / name).write_bytes(content.encode("utf-8", "surrogateescape"))
        elif r < 0.34:
            (d / ".python-version").mkdir()  # not a regular file: ignored
        elif r < 0.37:
            (d / ".python-version").symlink_to(d / "nowhere")  # dangling: ignored
        elif r < 0.40:
            target = root / f"target-{len(dirs)}"
            target.write_text(rng.choice(INSTALLED), encoding="utf-8")
            (d / ".python-version").symlink_to(target)  # a symlink to a file: followed
        if rng.random() < 0.2:
            if rng.random() < 0.1:
                (d / "pyproject.toml").mkdir()  # "any kind of file" marks a project
            else:
                (d / "pyproject.toml").write_text(rng.choice(PYPROJECTS), encoding="utf-8")
    # a symlinked directory: the walk goes through the link's parents, as the shell sees it
    if len(dirs) > 3:
        link = rng.choice(dirs[1:]) / "link"
        if not link.exists():
            link.symlink_to(rng.choice(dirs))
            dirs.append(link)
    env: Dict[str, str] = {}
    if rng.random() < 0.35:
        ceilings = []
        for c in rng.sample(dirs, min(2, len(dirs))):
            spelled = rng.choice(
                [str(c), str(c) + "/", str(c).replace("/", "//", 1), str(c) + "/.", str(c / "x" / "..")]
            )
            ceilings.append(spelled)
        ceilings.append("relative/ignored")
        env["SHIMKIT_CEILING_PATHS"] = ":".join(ceilings)
    return dirs, env


def hook_script(shell: str, hook: Path, dirs: List[Path]) -> Tuple[List[str], str]:
    """argv and script text that load the hook and print the added bin dir after each cd."""
    if shell in ("bash", "zsh", "dash", "ksh"):
        lines = [f". {shell_mod.sh_quote(str(hook))}"]
        for d in dirs:
            lines.append(f"cd {shell_mod.sh_quote(str(d))} && _shimkit_hook; printf '%s\\n' \"${{_SHIMKIT_ADDED-}}\"")
        return [find_shell(shell), "-c" if shell != "zsh" else "-fc", "\n".join(lines)], ""
    if shell == "fish":
        lines = [f"source {fish_quote(str(hook))}"]
        for d in dirs:
            lines.append(f"cd {fish_quote(str(d))}; printf '%s\\n' \"$_SHIMKIT_ADDED\"")
        return [find_shell("fish"), "--no-config", "-c", "\n".join(lines)], ""
    if shell == "nu":
        lines = [f"source {nu_quote(str(hook))}"]
        for d in dirs:
            lines.append(f"cd {nu_quote(str(d))}; _shimkit_hook; print ($env._SHIMKIT_ADDED? | default '')")
        return [find_shell("nu"), "--no-config-file", "-c", "\n".join(lines)], ""
    lines = [f"execx(open({str(hook)!r}).read())"]
    for d in dirs:
        lines.append(f"cd @({str(d)!r})")
        lines.append("print(${...}.get('_SHIMKIT_ADDED', ''))")
    return [find_shell("xonsh"), "--no-rc", "-c", "\n".join(lines)], ""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shell", SHELLS)
def test_shell_and_python_agree_on_random_trees(
    shell: str, seed: int, tmp_path: Path, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(f"{shell}-{seed}")
    root = tmp_path / "tree é 'q'"
    dirs, extra = build_tree(root, rng, shell)
    global_file = tmp_path / "config" / ".python-version"
    if rng.random() < 0.5:
        global_file.parent.mkdir()
        global_file.write_bytes(rng.choice(INSTALLED + MISSING + NON_PLAIN).encode())
    hook = fake_store.write_hook(shell, tmp_path, global_file)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **extra}
    # every python-preference: with system first, PATH's interpreters (/usr/bin/python3) win
    preference = ["managed", "system", "only-managed", "only-system"][seed % 4]
    if seed % 4:
        env["SHIMKIT_PYTHON_PREFERENCE"] = preference

    host = PlatformTriple.parse(fake_store.host)
    assert host is not None
    expected: List[Optional[str]] = []
    # the reference sees the environment the shell has (PATH, HOME: pyenv, uv and mise dirs, the cache)
    for k in list(os.environ):
        monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = Settings(install_dir=fake_store.root, python_preference=preference)
    for d in dirs:
        res = resolve(d, settings, host=host, global_file=global_file, environ=env)
        expected.append(None if res.bin_dir is None else str(res.bin_dir))
    monkeypatch.undo()

    argv, _ = hook_script(shell, hook, dirs)
    proc = subprocess.run(argv, env=env, cwd=root, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    got = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    assert len(got) == len(dirs), proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    mismatches = []
    for d, want, have in zip(dirs, expected, got):
        if (want or "") != have:
            mismatches.append(f"{d}: python {want!r}, {shell} {have!r}\n" + describe(d, root, env))
    assert not mismatches, "\n".join(mismatches)
    for d in dirs:
        assert not (d / "pwned").exists()
    assert not (root / "pwned").exists()


def describe(d: Path, root: Path, env: Dict[str, str]) -> str:
    """The files the walk could see from d up to root (for a readable failure)."""
    out = [f"  ceilings: {env.get('SHIMKIT_CEILING_PATHS', '')!r}"]
    p = Path(os.path.abspath(d))
    while True:
        for name in (".python-version", ".python-versions", "pyproject.toml"):
            f = p / name
            if f.is_file():
                out.append(f"  {f}: {f.read_bytes()[:80]!r}")
            elif os.path.lexists(f):
                out.append(f"  {f}: (not a regular file)")
        if p == root or p.parent == p:
            break
        p = p.parent
    return "\n".join(out)
