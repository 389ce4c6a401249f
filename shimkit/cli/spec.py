"""Every command and option of ``shimkit``, declared once.

:mod:`shimkit.cli.parse` reads argv against this table without importing typer (so ``find``,
``pin``, ``init`` and the hooks' helper start in a few milliseconds); :mod:`shimkit.cli.typer_app`
builds the typer application from the same table for ``--help``, shell completion and the
generated CLI reference.  A command's work lives in ``shimkit.commands.<module>.<function>``.

Stdlib only and cheap to import (the classes are in :mod:`shimkit.cli.declare`).
"""

from __future__ import annotations

from .declare import Arg, Command, Opt, setting_option

__all__ = ["APP", "Arg", "Command", "Opt"]

# Options that override settings, and the global ones every command accepts anywhere on the line.
INSTALL_DIR = setting_option("install_dir", "--install-dir", "DIR")
BIN_DIR = setting_option("bin_dir", "--bin-dir", "DIR")
MIRROR = setting_option("mirror", "--mirror", "URL")
DOWNLOADS_JSON = setting_option("downloads_json", "--downloads-json", "LOCATION")
OFFLINE = setting_option("offline", "--offline")
NO_CONFIG = setting_option("no_config", "--no-config")
COMPILE_BYTECODE = setting_option("compile_bytecode", "--compile-bytecode")
OUTPUT_FORMAT = Opt(
    "output_format",
    ("--output-format",),
    "text or json, in any case (the JSON schemas: the JSON output reference).",
    "value",
    choices=("text", "json"),
    metavar="FORMAT",
    default="text",
)
QUIET = Opt("quiet", ("-q", "--quiet"), "Print only results and errors (twice: only errors).", "count")
VERBOSE = Opt(
    "verbose",
    ("-v", "--verbose"),
    "Say what is looked up and why, URLs and timings (twice: more detail; SHIMKIT_VERBOSE=1|2).",
    "count",
)
GLOBAL_OPTIONS = (QUIET, VERBOSE)
VERSION_FLAGS = ("-V", "--version")
HELP_FLAGS = ("-h", "--help")
COMPLETION_FLAGS = ("--install-completion", "--show-completion")  # typer's own, served by the typer app
SHIMS_DIR = Opt("shims_dir", ("--shims-dir",), "Default: ~/.local/share/shimkit/shims.", "value", metavar="DIR")
SHELL_ARG = Arg(
    "shell",
    "bash, zsh, fish, sh (dash), ksh, nu, xonsh or pwsh. Default: the shell running shimkit.",
    complete="shells",
)
DOWNLOAD_SOURCE = (MIRROR, DOWNLOADS_JSON, OFFLINE)

INSTALL = Command(
    "install",
    "Download and install Python versions (concurrently), with verified checksums.",
    "install:install",
    args=(
        Arg(
            "targets",
            "Versions to install (3.12, '>=3.10,<3.12', cpython-3.12.3-linux-x86_64-gnu …) or local "
            "python-build-standalone archives. None: what .python-version(s) asks for, else the newest stable.",
            "*",
            metavar="TARGETS",
            complete="available",
        ),
    ),
    options=(
        Opt("reinstall", ("--reinstall",), "Install again even if already installed."),
        Opt("force", ("--force",), "Replace bin dir entries that shimkit did not create."),
        Opt("default", ("--default",), "Also create python3 and python in the bin dir."),
        Opt("no_bin", ("--no-bin",), "Do not create executables in the bin dir."),
        COMPILE_BYTECODE,
        *DOWNLOAD_SOURCE,
        INSTALL_DIR,
        BIN_DIR,
        NO_CONFIG,
    ),
)

UNINSTALL = Command(
    "uninstall",
    "Remove installations; minor-version links move to the next highest patch or go away.\n\n"
    "An installation that running processes still use is left in place, naming them.",
    "install:uninstall",
    args=(
        Arg("targets", "Versions or keys to remove (3.12.1, 3.11 …).", "*", metavar="TARGETS", complete="installed"),
    ),
    options=(
        Opt("all", ("--all",), "Remove every managed installation (asks first on a terminal)."),
        Opt("outdated", ("--outdated",), "Remove every patch that no minor-version link points to."),
        Opt("dry_run", ("--dry-run",), "Only show what would be removed (and which venvs break)."),
        Opt("yes", ("--yes", "-y"), "With --all or --outdated: do not ask for confirmation."),
        Opt("force", ("--force",), "Remove installations even while running processes use them (they may then fail)."),
        INSTALL_DIR,
        BIN_DIR,
    ),
)

UPGRADE = Command(
    "upgrade",
    "Move installed minor versions to their newest patch; venvs and bin entries follow.",
    "install:upgrade",
    args=(
        Arg(
            "targets",
            "Minor versions to upgrade (3.12, 3.13t). Default: every installed minor version.",
            "*",
            metavar="TARGETS",
            complete="installed",
        ),
    ),
    options=(
        Opt("dry_run", ("--dry-run",), "Only show what would change."),
        Opt("no_bin", ("--no-bin",), "Do not touch the bin dir."),
        COMPILE_BYTECODE,
        *DOWNLOAD_SOURCE,
        INSTALL_DIR,
        BIN_DIR,
    ),
)

VENV = Command(
    "venv",
    "Create a virtual environment that follows patch upgrades of its minor version.",
    "venv:venv",
    args=(Arg("path", "Where to create the environment.", default=".venv"),),
    options=(
        Opt(
            "python",
            ("--python", "-p"),
            "The interpreter request (3.12, 3.12.1, a path …). Default: the version file's, else the newest installed.",
            "value",
            metavar="REQUEST",
            complete="installed",
        ),
        Opt(
            "without_pip",
            ("--without-pip",),
            "Do not install pip into the environment (it is, by default, as "
            "`python -m venv` does: `pip` in the activated venv is then the venv's).",
        ),
        Opt("seed", ("--seed",), "Install pip into the environment (the default; kept for uv's spelling)."),
        Opt("prompt", ("--prompt",), "The prompt prefix shown when activated.", "value", metavar="PROMPT"),
        Opt("clear", ("--clear",), "Replace an existing environment at PATH."),
        INSTALL_DIR,
        NO_CONFIG,
        OFFLINE,
    ),
)

LIST = Command(
    "list",
    "List installed Python versions and the ones available for download.",
    "listing:list_",
    args=(Arg("request", "Only versions matching this request.", metavar="REQUEST"),),
    options=(
        Opt("only_installed", ("--only-installed",), "Only installed versions."),
        Opt("only_downloads", ("--only-downloads",), "Only versions available for download."),
        Opt("all_versions", ("--all-versions",), "Every patch release, not just the newest per minor."),
        Opt("all_platforms", ("--all-platforms",), "Downloads for every platform, not just this one."),
        Opt(
            "outdated",
            ("--outdated",),
            "Only installed minor versions with a newer patch available (what `upgrade` does).",
        ),
        OUTPUT_FORMAT,
        INSTALL_DIR,
        DOWNLOADS_JSON,
        MIRROR,
        OFFLINE,
    ),
)

DIR = Command(
    "dir",
    "Print where installations (or, with --bin, executables) live.",
    "listing:dir_",
    options=(Opt("bin", ("--bin",), "Print the bin dir instead."), INSTALL_DIR, BIN_DIR),
)

FIND = Command(
    "find",
    "Print the interpreter this directory would use (exit code 2 if nothing matches).\n\n"
    "Order: the active venv, a .venv in the project, managed installations (newest first), then "
    "python/python3/python3.X on PATH, then pyenv, uv and mise interpreters.",
    "find:find",
    args=(
        Arg(
            "request",
            "What to find: 3.12, '>=3.11', pypy, cpython-3.12.3-linux-x86_64-gnu, a path … Default: "
            "the pin for this directory (.python-version, requires-python, global pin), else any.",
            metavar="REQUEST",
            complete="installed",
        ),
    ),
    options=(
        Opt("system", ("--system",), "Ignore virtual environments (VIRTUAL_ENV and .venv)."),
        Opt(
            "managed_python",
            ("--managed-python",),
            "Only shimkit's own installations (python-preference only-managed).",
        ),
        Opt(
            "no_managed_python",
            ("--no-managed-python",),
            "Never shimkit's own installations (python-preference only-system).",
        ),
        OUTPUT_FORMAT,
        INSTALL_DIR,
        NO_CONFIG,
    ),
)

PIN = Command(
    "pin",
    "Pin the Python version of this project (.python-version at the project root), or show the pin.",
    "pin:pin",
    args=(
        Arg(
            "request",
            "The request to pin (3.12, 3.13t, '>=3.11', pypy@3.10 …). None: print the current pin and "
            "the file it comes from.",
            metavar="REQUEST",
            complete="pinnable",
        ),
    ),
    options=(
        Opt("global_", ("--global",), "The user-level pin instead of the project's."),
        Opt("resolved", ("--resolved",), "Write the exact version the request resolves to (e.g. 3.11.7)."),
        Opt("rm", ("--rm",), "Remove the version file in effect here (with --global: the global pin)."),
        INSTALL_DIR,
        NO_CONFIG,
    ),
)

INIT = Command(
    "init",
    "Print the shell hook that makes `python` follow each project's pin.\n\n"
    'bash/zsh/sh/ksh: eval "$(shimkit init bash)"; fish: shimkit init fish | source; '
    "xonsh: execx($(shimkit init xonsh)); pwsh: Invoke-Expression (& shimkit init pwsh | Out-String); "
    "nu: shimkit init nu | save -f ~/.config/nushell/autoload/shimkit.nu (or `shimkit update-shell nu`).",
    "shell:init",
    args=(SHELL_ARG,),
    options=(INSTALL_DIR, BIN_DIR),
)

SHELL = Command(
    "shell",
    "Use another Python in this shell session only (sets SHIMKIT_PYTHON through the hook).\n\n"
    "With no argument, print the current override.",
    "shell:shell",
    args=(
        Arg(
            "request",
            "The Python to use in this shell session (3.12, 3.13t, '>=3.11' …).",
            metavar="REQUEST",
            complete="installed",
        ),
    ),
    options=(
        Opt("unset", ("--unset",), "Drop this session's override."),
        Opt("force", ("--force",), "Set the override even though no interpreter here satisfies it."),
        INSTALL_DIR,
    ),
)

EXEC = Command(
    "exec",
    "Run a command with the project's Python first on PATH (for scripts, cron and CI; no hook needed).\n\n"
    "The Python is the one `shimkit find` names (a project's .venv included, then activated as `uv run` does); "
    "it is downloaded only when python-downloads is automatic. The command's exit status, signals and arguments "
    "pass through unchanged: `shimkit exec -- python -c 'import sys; print(sys.argv)' a b`.",
    "execute:exec_",
    aliases=("run",),
    args=(
        Arg(
            "command",
            "The command and its arguments (everything after the first word is the command's).",
            "...",
            metavar="COMMAND",
        ),
    ),
    options=(
        Opt(
            "python",
            ("--python", "-p"),
            "The interpreter request instead of the pin (3.12, pypy@3.10, a path …).",
            "value",
            metavar="REQUEST",
            complete="installed",
        ),
        *DOWNLOAD_SOURCE,
        INSTALL_DIR,
        NO_CONFIG,
    ),
)

UPDATE_SHELL = Command(
    "update-shell",
    "Add the shell integration to your shell's startup file, once.",
    "shell:update_shell",
    args=(SHELL_ARG,),
    options=(
        Opt("shims", ("--shims",), "Also put the shims dir first on PATH (see `shims enable`)."),
        INSTALL_DIR,
        BIN_DIR,
    ),
)

HOOK_RESOLVE = Command(
    "hook-resolve",
    "Resolve DIR's request for a shell hook or shim (protocol: shimkit.hookresolve).",
    "shell:hook_resolve",
    hidden=True,
    args=(Arg("directory", "The directory (default: the working directory)."),),
    options=(
        Opt("install_dir", ("--install-dir",), "The install dir the hook baked in.", "value", metavar="DIR"),
        Opt("host", ("--host",), "The platform the hook baked in (OS-ARCH-LIBC).", "value", metavar="TRIPLE"),
        Opt(
            "global_file",
            ("--global-file",),
            "The global pin file the hook baked in ('' for none).",
            "value",
            metavar="FILE",
        ),
    ),
)

SHIMS = Command(
    "shims",
    "Opt-in `python` shims for scripts, cron, IDEs and `#!/usr/bin/env python`.",
    subcommands=(
        Command(
            "enable",
            "Write python, python3, pip and pip3 shims into the shims dir.",
            "shims:enable",
            options=(INSTALL_DIR, SHIMS_DIR),
        ),
        Command("disable", "Remove the shims (nothing else).", "shims:disable", options=(SHIMS_DIR,)),
        Command(
            "status",
            "Show the shims dir, whether it is on PATH, and which other pythons it comes before.",
            "shims:status",
            options=(INSTALL_DIR, SHIMS_DIR),
        ),
    ),
)

METADATA = Command(
    "metadata",
    "The download list: refresh it from python-build-standalone releases, show which list is used.",
    subcommands=(
        Command(
            "refresh",
            "Fetch the newest python-build-standalone release list, verify it and cache it; print what is new.",
            "metadata:refresh",
            options=(
                Opt(
                    "tag",
                    ("--tag",),
                    "Refresh from this release (e.g. 20260814) instead of the newest; skips latest-release.json.",
                    "value",
                    metavar="TAG",
                ),
                MIRROR,
                OFFLINE,
                OUTPUT_FORMAT,
            ),
        ),
        Command(
            "show",
            "Show which download list is used and why (override > refreshed cache if newer > embedded).",
            "metadata:show",
            options=(DOWNLOADS_JSON, MIRROR, OUTPUT_FORMAT),
        ),
    ),
)

MIRROR_CMD = Command(
    "mirror",
    "Build and check a mirror of Python archives that any static server, bucket or shared mount can serve.",
    subcommands=(
        Command(
            "sync",
            "Download and verify archives for every platform asked, with SHA256SUMS and python-downloads.json."
            "\n\nOnly missing or changed archives are fetched.  The files are replaced atomically: a sync that is "
            "interrupted leaves a mirror whose python-downloads.json names only complete archives.",
            "mirror:sync",
            args=(
                Arg("directory", "The mirror directory (created if missing).", "1"),
                Arg("versions", "Requests to mirror (3.12, 3.11.9, pypy@3.10, >=3.10 …).", "*", complete="available"),
            ),
            options=(
                Opt(
                    "platform",
                    ("--platform",),
                    "A platform to mirror for, e.g. linux-x86_64-gnu, "
                    "macos-aarch64-none, windows-x86_64-none (repeatable; default: this machine's).",
                    "multi",
                    metavar="PLATFORM",
                ),
                Opt(
                    "from_pins",
                    ("--from-pins",),
                    "Also mirror every version pinned under this directory "
                    "(.python-version, .python-versions, pyproject.toml requires-python).",
                    "value",
                    metavar="DIR",
                ),
                Opt(
                    "base_url",
                    ("--base-url",),
                    "Write absolute URLs under this URL in the mirror's "
                    "python-downloads.json (default: upstream URLs, which --mirror / UV_PYTHON_INSTALL_MIRROR map "
                    "onto the mirror).",
                    "value",
                    metavar="URL",
                ),
                Opt("prune", ("--prune",), "Delete archives that are no longer selected."),
                DOWNLOADS_JSON,
                MIRROR,
                OFFLINE,
            ),
        ),
        Command(
            "verify",
            "Check every archive against SHA256SUMS and python-downloads.json; list missing and corrupt ones.",
            "mirror:verify",
            args=(Arg("directory", "The mirror directory.", "1"),),
        ),
    ),
)

DOCTOR = Command(
    "doctor",
    "Check PATH order, the shell hook, links, bin entries and venvs, and say what to fix.\n\n"
    "Exit status 1 when a problem (warning or error) was found.",
    "doctor:doctor",
    options=(
        Opt(
            "fix", ("--fix",), "Repair what shimkit can: minor-version links, dangling bin entries, staging leftovers."
        ),
        Opt(
            "shell",
            ("--shell",),
            "The shell to check the hook setup of (default: the shell running shimkit).",
            "value",
            metavar="SHELL",
            complete="shells",
        ),
        OUTPUT_FORMAT,
        INSTALL_DIR,
        BIN_DIR,
    ),
)

APP = Command(
    "shimkit",
    "Install and manage CPython interpreters; make `python` follow each project's pin.",
    subcommands=(
        INSTALL,
        UNINSTALL,
        UPGRADE,
        VENV,
        LIST,
        DIR,
        FIND,
        PIN,
        EXEC,
        INIT,
        SHELL,
        UPDATE_SHELL,
        HOOK_RESOLVE,
        SHIMS,
        METADATA,
        MIRROR_CMD,
        DOCTOR,
    ),
)
