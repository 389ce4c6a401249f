"""Generate docs/reference/configuration.md (never edit that file by hand).

    python scripts/gen_config_docs.py           # rewrite docs/reference/configuration.md
    python scripts/gen_config_docs.py --check   # exit 1 if it is out of date (tests/test_docs.py runs this)

Settings come from ``shimkit.settings.SETTINGS`` (config key, environment variable, type, default,
help) and the command-line flags that set them from the typer application; the environment
variables that have no config key (timeouts, test hooks, the session override …) are listed in
:data:`ENV_ONLY` below.  ``tests/test_docs.py`` checks that every ``SHIMKIT_*`` variable the code
or the shell hooks read appears on the page, so a new knob cannot go undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference" / "configuration.md"


class EnvVar(NamedTuple):
    name: str
    default: str
    help: str


# Environment variables without a config-file key.  Keep the defaults in step with the code
# (the module that reads each one is named in its help).
ENV_ONLY: Tuple[EnvVar, ...] = (
    EnvVar(
        "SHIMKIT_CONFIG_FILE",
        "`<user config dir>/shimkit/shimkit.toml`",
        "The config file to read instead of the default one.",
    ),
    EnvVar(
        "SHIMKIT_CEILING_PATHS",
        "none",
        "Directories (absolute, separated by `:`, `;` on Windows) at which the search for version files "
        "and `pyproject.toml` stops without entering them, like git's `GIT_CEILING_DIRECTORIES`. The shell "
        "hooks honor it too.",
    ),
    EnvVar(
        "SHIMKIT_PYTHON",
        "unset",
        "The session override: a request (`3.12`, `3.13t` …) that wins over every version file. "
        "`shimkit shell 3.12` sets it in the current shell through the hook; `shimkit shell --unset` "
        "removes it.",
    ),
    EnvVar(
        "_SHIMKIT_COMPLETE",
        "unset",
        "Set by the completion script `shimkit --install-completion` installs, when the shell asks for "
        "candidates; not meant to be set by hand.",
    ),
    EnvVar(
        "SHIMKIT_VERBOSE",
        "unset",
        "`1` (or `true`) is `-v` for every command, `2` is `-vv`: what is looked up and why, which URLs, "
        "timings, on stderr. For the hooks' helper, CI logs and bug reports; `-q` wins over it.",
    ),
    EnvVar(
        "SHIMKIT_HTTP_TIMEOUT",
        "`30` (seconds)",
        "How long a download may make no progress (connecting or reading) before the attempt fails.",
    ),
    EnvVar(
        "SHIMKIT_HTTP_RETRIES",
        "`3`",
        "Further attempts after a transient failure (connection error or reset, truncated body, "
        "timeout, HTTP 408/429/5xx). Other failures (404, checksum mismatch) are not retried.",
    ),
    EnvVar(
        "SHIMKIT_HTTP_BACKOFF",
        "`0.5` (seconds)",
        "The delay before the first retry; it doubles with each further attempt.",
    ),
    EnvVar(
        "SHIMKIT_CONCURRENT_DOWNLOADS",
        "`4`",
        "How many installations download and unpack at the same time.",
    ),
    EnvVar(
        "SHIMKIT_LOCK_TIMEOUT",
        "`900` (seconds)",
        "How long a command that changes the install dir waits for another shimkit process holding "
        "its lock before giving up.",
    ),
    EnvVar(
        "SHIMKIT_UNINSTALLING_SELF",
        "unset",
        "`1` while `install.sh --uninstall` (or `install.ps1 -Uninstall`) runs `shimkit uninstall --all`: "
        "shimkit goes too, so the command a broken virtual environment is recreated with is "
        "`python3.12 -m venv --clear …`, not `shimkit venv`. Set by the installers, not by you.",
    ),
    EnvVar(
        "SHIMKIT_VERIFY_TIMEOUT",
        "`30` (seconds)",
        "How long a freshly unpacked interpreter may take to answer the check run before it is moved into place.",
    ),
    EnvVar(
        "SHIMKIT_DOWNLOAD_DEADLINE",
        "`3600` (seconds)",
        "How long one download may take in all (the read timeout only bounds a pause); a server that "
        "drips its bytes fails after this.",
    ),
    EnvVar(
        "SHIMKIT_MAX_DOWNLOAD_BYTES",
        "`4294967296` (4 GiB)",
        "The most one download may deliver when the server does not say how large it is (with a "
        "`Content-Length`, that length is the limit).",
    ),
    EnvVar(
        "SHIMKIT_PROBE_TIMEOUT",
        "`10` (seconds)",
        "How long an interpreter found on PATH or in another manager's directory may take to say "
        "what it is (`find`, `venv -p`, `pin --resolved`); slower ones are skipped.",
    ),
    EnvVar(
        "SHIMKIT_COMPILE_TIMEOUT",
        "`600` (seconds)",
        "With `compile-bytecode`: how long compiling a new installation's standard library may take; an "
        "interpreter that hangs there is killed (with every process it started) and the install fails.",
    ),
    EnvVar(
        "SHIMKIT_HOST_PLATFORM",
        "detected",
        "Override host detection with `os-arch-libc` (e.g. `linux-x86_64-musl`): which downloads "
        "are chosen and which installations count as this machine's. Meant for tests and for "
        "preparing an install dir for another machine.",
    ),
    EnvVar(
        "NO_COLOR",
        "unset",
        "Disable colors in shimkit's output and in the installers ([no-color.org](https://no-color.org)).",
    ),
)

# Read by shimkit but owned by someone else.
FOREIGN: Tuple[EnvVar, ...] = (
    EnvVar("XDG_DATA_HOME", "`~/.local/share`", "Base of the user data dir on Linux (installations, shims)."),
    EnvVar("XDG_CONFIG_HOME", "`~/.config`", "Base of the user config dir on Linux (config file, global pin)."),
    EnvVar(
        "XDG_CACHE_HOME", "`~/.cache`", "Base of the user cache dir on Linux (interpreter probes, hooks, metadata)."
    ),
    EnvVar("XDG_BIN_HOME", "`~/.local/bin`", "The default bin dir when `SHIMKIT_BIN_DIR` is not set."),
    EnvVar("VIRTUAL_ENV", "", "An activated virtual environment: `find` prefers it; the hooks keep it first on PATH."),
    EnvVar("PYENV_ROOT", "`~/.pyenv`", "Where `find` looks for pyenv's interpreters (and skips pyenv's shims)."),
    EnvVar("UV_PYTHON_INSTALL_DIR", "`<data>/uv/python`", "Where `find` looks for uv's interpreters."),
    EnvVar("MISE_DATA_DIR", "`<data>/mise`", "Where `find` looks for mise's interpreters (and skips its shims)."),
    EnvVar("PWD", "", "The logical working directory; a symlinked directory is walked through its link's parents."),
    EnvVar("TERM", "", "`dumb` disables progress bars and colors."),
)

# Set by the shell hooks themselves; listed so nobody wonders where they come from.
HOOK_VARS: Tuple[EnvVar, ...] = (
    EnvVar(
        "_SHIMKIT_ADDED",
        "exported",
        "The directory the hook put first on PATH (an interpreter's `bin/`, or a directory of links in the "
        "cache dir; removed from PATH again when you leave the project). `shimkit doctor` uses it to tell "
        "that the hook is active.",
    ),
    EnvVar("_SHIMKIT_PWD", "shell variable", "The directory the hook last resolved (no work until it changes)."),
    EnvVar("_SHIMKIT_OVR", "shell variable", "The `SHIMKIT_PYTHON` value the hook last resolved."),
    EnvVar(
        "_SHIMKIT_WAIT",
        "shell variable",
        "A pinned installation that is not there yet (looked for again at each prompt).",
    ),
    EnvVar("_SHIMKIT_HINT", "shell variable", "The last hint printed, so it is printed once per project visit."),
    EnvVar(
        "_SHIMKIT_PATH",
        "shell variable",
        "PATH as the hook left it: when it differs at a prompt (`deactivate`), the hook resolves again.",
    ),
    EnvVar(
        "_SHIMKIT_BASE",
        "shell variable",
        "PATH without the directory the hook added, for the one `shimkit hook-resolve` call.",
    ),
    EnvVar(
        "SHIMKIT_SHELL_HOOK",
        "set for one command",
        "Set by the hook's `shimkit` function when it runs `shimkit shell`, so that the command knows "
        "its output will change the calling shell.",
    ),
)

INSTALLER_VARS: Tuple[EnvVar, ...] = (
    EnvVar(
        "SHIMKIT_INSTALL_DIR",
        "`<user data dir>/shimkit/env`",
        "`install.sh` / `install.ps1` only: the isolated environment shimkit itself is installed into.",
    ),
    EnvVar(
        "SHIMKIT_BIN_DIR",
        "`$XDG_BIN_HOME` or `~/.local/bin`",
        "The installers put the `shimkit` executable here; shimkit puts `python3.X` entries here "
        "(the same setting as `bin-dir`).",
    ),
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _flags_by_key() -> Dict[str, List[str]]:
    """config key -> the command-line flags that set it, with the commands that take them."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import typer.main
    from gen_cli_docs import walk

    from shimkit.cli.typer_app import app

    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="shimkit")
    found: Dict[str, List[str]] = {}
    for path, cmd, sub_ctx in walk(root, ctx, ()):
        for p in cmd.get_params(sub_ctx):
            if p.param_type_name != "option":
                continue
            for opt in p.opts:
                if opt.startswith("--"):
                    found.setdefault(opt[2:], []).append(" ".join(path))
    return found


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from shimkit.settings import SETTINGS

    flags = _flags_by_key()
    out: List[str] = [
        "<!-- Generated by scripts/gen_config_docs.py from shimkit.settings.SETTINGS; do not edit by hand. -->",
        "# Configuration reference",
        "",
        "Every setting can come from three places; the first one that gives a value wins:",
        "",
        "1. a command-line flag (`--install-dir DIR`), for that command only;",
        "2. an environment variable (`SHIMKIT_PYTHON_INSTALL_DIR=DIR`);",
        '3. the config file, `shimkit.toml` (`install-dir = "DIR"`).',
        "",
        "Invalid values are errors that name the variable or the file and what is accepted; an",
        "unknown key in the config file is an error too (a typo never goes unnoticed).",
        "",
        "## The config file",
        "",
        "`$SHIMKIT_CONFIG_FILE` if set, else `shimkit.toml` in the user config dir:",
        "",
        "| Platform | Location |",
        "|---|---|",
        "| Linux and other XDG systems | `$XDG_CONFIG_HOME/shimkit/shimkit.toml` (`~/.config/shimkit/shimkit.toml`) |",
        "| macOS | `~/Library/Application Support/shimkit/shimkit.toml` |",
        "| Windows | `%APPDATA%\\shimkit\\shimkit.toml` |",
        "",
        "`--no-config` or `SHIMKIT_NO_CONFIG=1` ignores it (and every `.python-version` file).",
        "An example with every key:",
        "",
        "```toml",
    ]
    for spec in SETTINGS:
        if not spec.key:
            continue
        if spec.kind == "path":
            example = '"~/python"' if spec.attr == "install_dir" else '"~/bin"'
        elif spec.kind == "bool":
            example = "false"
        elif spec.kind == "choice":
            example = f'"{spec.choices[0] if not spec.default_doc else spec.default_doc}"'
        elif spec.kind == "int":
            example = "1"
        else:
            example = '"https://example.org/pbs"' if spec.attr == "mirror" else '"/srv/python-downloads.json"'
        out.append(f"{spec.key} = {example}")
    out += ["```", "", "## Settings", ""]
    for spec in SETTINGS:
        title = spec.key or spec.env
        out += [f"### `{title}`", "", _cell(spec.help), ""]
        rows = []
        rows.append(("Config key", f"`{spec.key}`" if spec.key else "none (environment or flag only)"))
        rows.append(("Environment variable", f"`{spec.env}`"))
        kind = spec.kind
        if spec.choices:
            kind = "one of " + ", ".join(f"`{c}`" for c in spec.choices)
        elif spec.kind == "bool":
            kind = "boolean (`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`)"
        rows.append(("Type", kind))
        rows.append(("Default", f"`{_cell(spec.default_doc)}`" if spec.default_doc else "none"))
        flag_name = spec.key or spec.attr.replace("_", "-")
        commands = flags.get(flag_name, [])
        if commands:
            rows.append(("Flag", f"`--{flag_name}` on " + ", ".join(f"`{c}`" for c in commands)))
        out += ["| | |", "|---|---|"]
        out += [f"| {a} | {b} |" for a, b in rows]
        out.append("")
    out += [
        "## Environment variables without a config key",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    out += [f"| `{v.name}` | {v.default} | {_cell(v.help)} |" for v in ENV_ONLY]
    out += [
        "",
        "## Installer variables",
        "",
        "Read by [`install.sh` and `install.ps1`](../installing-shimkit.md).",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
    ]
    out += [f"| `{v.name}` | {v.default} | {_cell(v.help)} |" for v in INSTALLER_VARS]
    out += [
        "",
        "## Variables of other tools",
        "",
        "| Variable | Default | How shimkit uses it |",
        "|---|---|---|",
    ]
    out += [f"| `{v.name}` | {v.default} | {_cell(v.help)} |" for v in FOREIGN]
    out += [
        "",
        "## Variables the shell hooks set",
        "",
        "Do not set these yourself.",
        "",
        "| Variable | Kind | Meaning |",
        "|---|---|---|",
    ]
    out += [f"| `{v.name}` | {v.default} | {_cell(v.help)} |" for v in HOOK_VARS]
    out += [
        "",
        "## Files and directories",
        "",
        "Linux paths shown; on macOS the user data, config and cache dirs are",
        "`~/Library/Application Support/shimkit`, `~/Library/Application Support/shimkit` and",
        "`~/Library/Caches/shimkit`; on Windows `%LOCALAPPDATA%\\shimkit`, `%APPDATA%\\shimkit` and",
        "`%LOCALAPPDATA%\\shimkit\\Cache`.",
        "",
        "| What | Where | Changed by |",
        "|---|---|---|",
        "| Managed installations and minor-version links | `~/.local/share/shimkit/python/` | `install-dir` |",
        "| The install dir's lock (held by every change) | `<install dir>/.lock` | |",
        "| Staging for installs and removals (same filesystem) | `<install dir>/.temp/` | |",
        "| Virtual environments made by `shimkit venv` | `<install dir>/.venvs.json` | |",
        "| `python3.X` entries, and `shimkit` itself | `~/.local/bin/` | `bin-dir` |",
        "| Opt-in shims (`shimkit shims enable`) | `~/.local/share/shimkit/shims/` | `--shims-dir` |",
        "| Config file | `~/.config/shimkit/shimkit.toml` | `SHIMKIT_CONFIG_FILE` |",
        "| Global pin (`shimkit pin --global`) | `~/.config/shimkit/.python-version` | |",
        "| Caches: interpreter probes, rendered hooks, refreshed download list "
        "| `~/.cache/shimkit/` | `XDG_CACHE_HOME` |",
        "| shimkit's own environment (installers) | `~/.local/share/shimkit/env/` | `SHIMKIT_INSTALL_DIR` |",
        "",
    ]
    return "\n".join(out).rstrip() + "\n"


def documented_names() -> List[str]:
    """Every variable name this page documents (used by the tests)."""
    sys.path.insert(0, str(ROOT))
    from shimkit.settings import SETTINGS

    names = [s.env for s in SETTINGS]
    names += [v.name for v in ENV_ONLY + FOREIGN + HOOK_VARS + INSTALLER_VARS]
    return names


def main(argv: List[str]) -> int:
    import _generated

    description = (__doc__ or "").splitlines()[0]
    return _generated.main(argv, script="gen_config_docs.py", description=description, output=OUT, render=render)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
