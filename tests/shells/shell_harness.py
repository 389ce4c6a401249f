"""Drive real shells for the hook tests.

* :class:`PtyShell` runs a shell *interactively* on a pseudo-terminal (its controlling
  terminal), so prompts are drawn and prompt hooks run exactly as for a user; commands are typed
  one line at a time and their answers come back between ``\\x1e`` … ``\\x1f`` markers that the
  typed text itself can never contain (it spells them as escapes).
* :class:`Dialect` knows how each shell loads ``shimkit init``, changes directory and reports
  ``command -v python`` and ``sys.prefix``.
* :func:`find_shell` locates a shell or fails with the package that provides it (CI installs
  them: ``apt-get install zsh fish ksh``, ``pip install xonsh``, ``npm install -g nushell``).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from shimkit.platform import host as detect_host

MARK = re.compile(rb"\x1e(.*?)\x1f", re.S)
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r")

INSTALL_HINT = {
    "bash": "apt-get install bash",
    "zsh": "apt-get install zsh",
    "fish": "apt-get install fish",
    "dash": "apt-get install dash",
    "ksh": "apt-get install ksh",
    "xonsh": "pip install xonsh (into the test venv)",
    "nu": "npm install -g nushell",
}


def find_shell(name: str) -> str:
    """Absolute path of a shell; a clear failure (never a skip) when it is not installed."""
    if name == "xonsh":
        here = Path(sys.executable).with_name("xonsh")
        if here.exists():
            return str(here)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; CI installs it with: {INSTALL_HINT[name]}", pytrace=False)
    return found


def shimkit_cmd() -> List[str]:
    """How the tests (and therefore the rendered hooks) run shimkit."""
    return [sys.executable, "-m", "shimkit"]


def _sh(words: Sequence[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def fish_quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def nu_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Dialect:
    """How to talk to one shell."""

    name: str  # the name given to `shimkit init`
    binary: str  # executable name
    argv: Tuple[str, ...]  # interactive start (after the binary)
    load: Callable[[str, Path], List[str]]  # (init command text, scratch dir) -> lines that load the hook
    cd: Callable[[str], str]
    query: str  # prints \x1e<command -v python>|<sys.prefix>\x1f
    echo: Callable[[str], str]  # prints \x1e<text>\x1f for a marker string
    env_set: Callable[[str, str], str]
    run: Callable[[str], str]  # run a shimkit subcommand through the hook's `shimkit` function
    path_query: str = ""  # prints \x1e<PATH joined with :>\x1f
    status_query: str = ""  # prints \x1e<exit status of the previous command>\x1f
    false_cmd: str = "false"
    settle: float = 0.0  # wait this long for silence before typing (shells that flush typeahead)
    prompt: str = ""  # with prompt_setup: wait for this prompt before typing each line
    prompt_setup: str = ""


# ksh93's `command -v` and `whence` print $'...'-quoted paths: look the way execvp does instead
_KSH_QUERY = (
    'set -f; __e=\'\'; __o=$IFS; IFS=:; for __d in $PATH; do if [ -f "$__d/python" ] && [ -x "$__d/python" ]; '
    "then __e=$__d/python; break; fi; done; IFS=$__o; set +f; "
    r"""printf '\036%s|%s\037\n' "$__e" "$(python -c 'import sys; print(sys.prefix)' 2>/dev/null)" """
)


def _posix(name: str, binary: str, argv: Tuple[str, ...]) -> Dialect:
    return Dialect(
        name=name,
        binary=binary,
        argv=argv,
        load=lambda cmd, _tmp: [f'eval "$({cmd} init {name})"'],
        cd=lambda p: f"cd {shlex.quote(p)}",
        query=_KSH_QUERY
        if name == "ksh"
        else (
            r"""printf '\036%s|%s\037\n' "$(command -v python)" """
            r""""$(python -c 'import sys; print(sys.prefix)' 2>/dev/null)" """
        ),
        echo=lambda text: rf"printf '\036%s\037\n' {shlex.quote(text)}",
        env_set=lambda k, v: f"export {k}={shlex.quote(v)}",
        run=lambda args: f"shimkit {args}",
        path_query=r"""printf '\036%s\037\n' "$PATH" """,
        status_query=r"""printf '\036%s\037\n' "$?" """,
    )


def _nu_load(cmd: str, tmp: Path) -> List[str]:
    target = tmp / "shimkit-init.nu"
    return [f"^{cmd} init nu | save -f {nu_quote(str(target))}", f"source {nu_quote(str(target))}"]


DIALECTS: Dict[str, Dialect] = {
    "bash": _posix("bash", "bash", ("--norc", "--noprofile", "-i")),
    "zsh": _posix("zsh", "zsh", ("-f", "-i")),
    "dash": _posix("dash", "dash", ("-i",)),
    "ksh": _posix("ksh", "ksh", ("-i",)),
    "fish": Dialect(
        name="fish",
        binary="fish",
        argv=("--no-config", "-i"),
        load=lambda cmd, _tmp: [f"{cmd} init fish | source"],
        cd=lambda p: f"cd {fish_quote(p)}",
        query=(
            "set -g __e (command -v python; or echo ''); set -g __p ''; command -q python; and "
            "set -g __p (python -c 'import sys; print(sys.prefix)'); printf '\\036%s|%s\\037\\n' \"$__e\" \"$__p\""
        ),
        echo=lambda text: rf"printf '\036%s\037\n' {fish_quote(text)}",
        env_set=lambda k, v: f"set -gx {k} {fish_quote(v)}",
        run=lambda args: f"shimkit {args}",
        path_query=r"""printf '\036%s\037\n' (string join : -- $PATH)""",
        status_query=r"""printf '\036%s\037\n' $status""",
    ),
    "nu": Dialect(
        name="nu",
        binary="nu",
        argv=("--no-config-file", "-i"),
        load=_nu_load,
        cd=lambda p: f"cd {nu_quote(p)}",
        query=(
            "print $\"\\u{1e}(which python | get path.0? | default '')|"
            "(try { ^python -c 'import sys; print(sys.prefix)' | str trim } catch { '' })\\u{1f}\""
        ),
        echo=lambda text: f'print $"\\u{{1e}}({nu_quote(text)})\\u{{1f}}"',
        env_set=lambda k, v: f"$env.{k} = {nu_quote(v)}",
        run=lambda args: f"shimkit {args}",
        path_query='print $"\\u{1e}($env.PATH | str join (char esep))\\u{1f}"',
        status_query='print $"\\u{1e}($env.LAST_EXIT_CODE)\\u{1f}"',
        false_cmd="^false",
        settle=0.2,
    ),
    "xonsh": Dialect(
        name="xonsh",
        binary="xonsh",
        argv=("--no-rc", "--shell-type=readline", "-i"),
        load=lambda cmd, _tmp: [f"execx($({cmd} init xonsh))"],
        cd=lambda p: f"cd @({p!r})",
        query=(
            "print('\\x1e' + (__import__('shutil').which('python', path=':'.join($PATH)) or '') + '|' + "
            "($(python -c 'import sys; print(sys.prefix)').strip() if !(python -c pass 2>/dev/null) else '')"
            " + '\\x1f')"
        ),
        echo=lambda text: f"print('\\x1e' + {text!r} + '\\x1f')",
        env_set=lambda k, v: f"${k} = {v!r}",
        run=lambda args: f"shimkit {args}",
        path_query="print('\\x1e' + ':'.join($PATH) + '\\x1f')",
        # xonsh drops what was typed while a command ran: type only at a prompt
        prompt="XSH-READY> ",
        prompt_setup="$PROMPT = 'XSH-READY> '",
    ),
}


def _controlling_tty() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyShell:
    """An interactive shell on a pseudo-terminal."""

    def __init__(self, argv: Sequence[str], env: Dict[str, str], cwd: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=str(cwd),
            preexec_fn=_controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.buf = b""
        self.pos = 0  # how far markers have been consumed
        self.sent_at = 0  # length of the output when the last line was typed
        self.transcript: List[str] = []

    def _read(self, deadline: float) -> bool:
        r, _, _ = select.select([self.master], [], [], max(0.0, min(0.2, deadline - time.monotonic())))
        if not r:
            return self.proc.poll() is None
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.buf += data
        # answer terminal queries (cursor position, device attributes) so line editors go on
        if b"\x1b[6n" in data:
            os.write(self.master, b"\x1b[1;1R")
        if b"\x1b[c" in data or b"\x1b[0c" in data:
            os.write(self.master, b"\x1b[?62c")
        return True

    def wait_for(self, pattern: bytes, limit: float = 60.0) -> None:
        """Wait until the (cleaned) output since the last marker ends with ``pattern`` (a regex)."""
        rx = re.compile(pattern + rb"\s*$")
        end = time.monotonic() + limit
        while not rx.search(ANSI.sub(b"", self.buf[max(self.pos, self.sent_at) :])):
            if time.monotonic() > end or not self._read(end):
                raise AssertionError(f"no prompt {pattern!r}; output tail:\n{self.buf[-800:]!r}")

    def settle(self, quiet: float = 0.5, limit: float = 30.0) -> None:
        """Wait for the first prompt: some output, then ``quiet`` seconds of silence (some shells,
        xonsh among them, drop what was typed before they were ready)."""
        end = time.monotonic() + limit
        last = len(self.buf)
        quiet_since = time.monotonic()
        while time.monotonic() < end:
            if not self._read(time.monotonic() + 0.1):
                break
            if len(self.buf) != last:
                last, quiet_since = len(self.buf), time.monotonic()
            elif last and time.monotonic() - quiet_since >= quiet:
                return

    def send(self, line: str) -> None:
        self.transcript.append(line)
        self.sent_at = len(self.buf)
        os.write(self.master, line.encode("utf-8", "surrogateescape") + b"\r")

    def expect(self) -> Tuple[str, str]:
        """The next marker's content, and the (cleaned) output between the previous marker and it."""
        deadline = time.monotonic() + self.timeout
        while True:
            m = MARK.search(self.buf, self.pos)
            if m:
                before = ANSI.sub(b"", self.buf[self.pos : m.start()]).decode("utf-8", "replace")
                self.pos = m.end()
                return m.group(1).decode("utf-8", "surrogateescape"), before
            if time.monotonic() > deadline or not self._read(deadline):
                tail = ANSI.sub(b"", self.buf[-3000:]).decode("utf-8", "replace")
                raise AssertionError(
                    f"no answer from the shell (exit status {self.proc.poll()}); typed so far:\n"
                    + "\n".join(self.transcript[-8:])
                    + f"\n--- output tail:\n{tail}"
                )

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                os.write(self.master, b"exit\r")
                try:
                    self.proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
        finally:
            os.close(self.master)


class Session:
    """A dialect-aware interactive session: cd, ask, read hints."""

    def __init__(self, dialect: Dialect, env: Dict[str, str], cwd: Path, scratch: Path) -> None:
        self.d = dialect
        self.shell = PtyShell([find_shell(dialect.binary), *dialect.argv], env, cwd)
        self.shell.settle()
        self.n = 0
        if dialect.prompt_setup:
            self.shell.wait_for(rb"[#$>] ")  # the shell's own first prompt
            self.shell.send(dialect.prompt_setup)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shell.close()

    def sync(self) -> str:
        """Wait until everything typed so far ran; returns the output since the last marker."""
        self.n += 1
        token = f"sync{self.n}"
        self._ready()
        self.shell.send(self.d.echo(token))
        got, before = self.shell.expect()
        assert got == token, f"out of step: {got!r} != {token!r}"
        return before

    def _ready(self) -> None:
        if self.d.prompt:
            self.shell.wait_for(re.escape(self.d.prompt.encode()))
        elif self.d.settle:
            self.shell.settle(self.d.settle, limit=10)

    def type(self, line: str) -> str:
        """Type one line, let the next prompt (and its hook) happen; returns the line's output."""
        self._ready()
        self.shell.send(line)
        return self.sync()

    def load(self, cmd: str, scratch: Path) -> str:
        out = ""
        for line in self.d.load(cmd, scratch):
            out += self.type(line)
        return out

    def cd(self, path: Path) -> str:
        """cd, then one more prompt; returns what the hook printed."""
        return self.type(self.d.cd(str(path)))

    def ask(self, command: str) -> str:
        """Run a query command; returns what it printed between the markers."""
        self._ready()
        self.shell.send(command)
        got, _ = self.shell.expect()
        return got

    def path(self) -> List[str]:
        return self.ask(self.d.path_query).split(os.pathsep)

    def which(self) -> Tuple[str, str]:
        """(command -v python, sys.prefix) as the shell sees them now."""
        self._ready()
        self.shell.send(self.d.query)
        got, _ = self.shell.expect()
        exe, _, prefix = got.partition("|")
        return exe.strip(), prefix.strip()


def env_for(home: Path, base_path: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """A clean interactive environment (nothing inherited from the developer's shell)."""
    env = {
        "HOME": str(home),
        "PATH": base_path,
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "PS1": "$ ",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra or {})
    return env


# ---- the fake store and the project tree ------------------------------------------------------
# key version -> minor; every fake installation gets a fake pip that names its installation
INSTALLS = ("3.11.7", "3.12.1", "3.13.0")
NASTY = "dir with space 'q' \"dq\" $HOME é"


def _interpreter_for(minor: str) -> str:
    """A real interpreter of ``minor`` if this machine has one, else the one running the tests
    (the installation's key, not the interpreter inside, is what the hooks resolve)."""
    try:
        from support import pbs

        for s in pbs.find_sources():
            if f"{s.major}.{s.minor}" == minor and not s.freethreaded and not s.debug:
                return str(s.executable)
    except Exception:  # the support package probes interpreters; any trouble: use ours
        pass
    return sys.executable


@dataclass(frozen=True)
class FakeStore:
    root: Path
    host: str

    def key(self, name: str) -> str:
        """``3.12`` -> ``cpython-3.12-<host>``; ``3.12.1`` -> ``cpython-3.12.1-<host>``."""
        return f"cpython-{name}-{self.host}"

    def bin(self, name: str) -> Path:
        return self.root / self.key(name) / "bin"

    def prefix(self, name: str) -> Path:
        return self.root / self.key(name)

    def write_hook(self, shell: str, tmp_path: Path, global_file: Optional[Path] = None) -> Path:
        """Render ``shell``'s hook for this store into ``tmp_path/hook`` (dash and ksh get the
        POSIX hook); the hook's ``shimkit`` command is this checkout's, bin dir ``tmp_path/bin``."""
        from shimkit import shell as shell_mod

        inputs = shell_mod.HookInputs(
            shell="sh" if shell in ("dash", "ksh") else shell,
            install_dir=str(self.root),
            bin_dir=str(tmp_path / "bin"),
            host=self.host,
            global_file=str(global_file or tmp_path / "no-global"),
            cmd=(sys.executable, "-P", "-m", "shimkit"),
        )
        hook = tmp_path / "hook"
        hook.write_text(shell_mod.render(inputs), encoding="utf-8")
        return hook


def make_store(root: Path) -> FakeStore:
    host = str(detect_host())
    root.mkdir(parents=True, exist_ok=True)
    for version in INSTALLS:
        minor = version.rsplit(".", 1)[0]
        inst = root / f"cpython-{version}-{host}"
        subprocess.run(
            [_interpreter_for(minor), "-m", "venv", "--without-pip", str(inst)],
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        pip = inst / "bin" / "pip"
        pip.write_text(f'#!/bin/sh\necho "pip of {inst.name}" "$@"\n', encoding="utf-8")
        pip.chmod(0o755)
        os.symlink(inst.name, root / f"cpython-{minor}-{host}")
    return FakeStore(root, host)


@dataclass(frozen=True)
class Projects:
    root: Path  # holds nothing pinned itself
    dirs: Dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.dirs[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_projects(root: Path) -> Projects:
    """app (3.11) with a subdirectory, other (3.12), patch (3.12.1), ranged (>=3.13, needs the
    core), a uv workspace member whose root pins 3.13, a project pinned only by requires-python,
    one pinned to a version that is not installed, one hostile file, and a dir with no pin."""
    d: Dict[str, Path] = {}
    d["app"] = write(root / "app" / ".python-version", "3.11\n").parent
    d["app/sub"] = root / "app" / "src" / "deep sub"
    d["app/sub"].mkdir(parents=True)
    d["other"] = write(root / "other" / ".python-version", "3.12\n").parent
    d["patch"] = write(root / "patch" / ".python-version", "3.12.1\n").parent
    d["ranged"] = write(root / "ranged" / ".python-version", ">=3.13\n").parent
    ws = root / "workspace"
    write(ws / "pyproject.toml", '[project]\nname = "ws"\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    write(ws / ".python-version", "3.13\n")
    d["member"] = write(
        ws / "packages" / "lib" / "pyproject.toml", '[project]\nname = "lib"\nrequires-python = ">=3.9"\n'
    ).parent
    d["req"] = write(
        root / "req" / "pyproject.toml", '[project]\nname = "req"\nrequires-python = ">=3.12,<3.13"\n'
    ).parent
    d["missing"] = write(root / "missing" / ".python-version", "3.10\n").parent
    d["hostile"] = write(root / "hostile" / ".python-version", "$(touch pwned)`touch pwned2`;touch pwned3\n").parent
    d["none"] = root / "nothing here"
    d["none"].mkdir()
    return Projects(root, d)


def hook_env(home: Path, store: FakeStore, base_path: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment the shells start with: shimkit configured for ``store`` and a bin dir."""
    env = env_for(
        home,
        base_path,
        {
            "SHIMKIT_PYTHON_INSTALL_DIR": str(store.root),
            # no "$NAME" in it: shimkit expands variables in SHIMKIT_BIN_DIR (settings.py)
            "SHIMKIT_BIN_DIR": str(bin_dir_for(home)),
        },
    )
    env.update(extra or {})
    return env


def bin_dir_for(home: Path) -> Path:
    return home.parent / "bin dir 'q' é"


def base_path(tmp_path: Path) -> str:
    """PATH before shimkit: a directory of our own plus the system's (whatever python it has)."""
    own = tmp_path / "sys bin"
    own.mkdir(exist_ok=True)
    return os.pathsep.join([str(own), "/usr/bin", "/bin"])


def system_python(path: str) -> str:
    """What ``command -v python`` finds on the original PATH ('' if nothing)."""
    import shutil

    return shutil.which("python", path=path) or ""


def run_hook_in(
    shell: str, hook: Path, d: Path, env: Dict[str, str], extra: str = ""
) -> subprocess.CompletedProcess[bytes]:
    """Load the hook, cd into ``d``, run ``extra`` (shell syntax), print _SHIMKIT_ADDED last."""
    from shimkit import shell as shell_mod

    if shell in ("bash", "zsh", "dash", "ksh"):
        q = shell_mod.sh_quote
        prog = f". {q(str(hook))}; cd {q(str(d))} && _shimkit_hook; {extra}\nprintf '%s\\n' \"${{_SHIMKIT_ADDED-}}\""
        argv = [find_shell(shell), "-fc" if shell == "zsh" else "-c", prog]
    elif shell == "fish":
        prog = f"source {fish_quote(str(hook))}; cd {fish_quote(str(d))}; {extra}\nprintf '%s\\n' \"$_SHIMKIT_ADDED\""
        argv = [find_shell("fish"), "--no-config", "-c", prog]
    elif shell == "nu":
        prog = (
            f"source {nu_quote(str(hook))}; cd {nu_quote(str(d))}; _shimkit_hook; {extra}\n"
            "print ($env._SHIMKIT_ADDED? | default '')"
        )
        argv = [find_shell("nu"), "--no-config-file", "-c", prog]
    else:
        prog = (
            f"execx(open({str(hook)!r}).read())\ncd @({str(d)!r})\n{extra}\nprint(${{...}}.get('_SHIMKIT_ADDED', ''))"
        )
        argv = [find_shell("xonsh"), "--no-rc", "-c", prog]
    return subprocess.run(argv, env=env, capture_output=True, timeout=120, cwd=str(d))
