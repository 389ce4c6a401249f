#!/bin/sh
# shimkit installer for Linux, macOS and other POSIX systems.
#
#   curl -LsSf <release URL>/install.sh | sh
#   curl -LsSf <release URL>/install.sh | sh -s -- --version 0.1.0
#   sh install.sh --from .            # from a source checkout (or --from dist/shimkit-*.whl)
#   sh install.sh --uninstall
#
# What it does: finds a Python >= 3.9 that can create virtual environments, creates an isolated
# environment for shimkit (default: <user data dir>/shimkit/env), installs shimkit into it with
# pip (from the package index, or from --from PATH), links `shimkit` into the bin dir (default:
# ~/.local/bin) and runs `shimkit update-shell` for the shells it finds.  Running it again upgrades
# shimkit in place; --uninstall removes what it (and shimkit) created, and nothing else.
#
# Plain POSIX sh (dash, bash, zsh, ksh, busybox ash), shellcheck-clean.  Besides the shell it uses
# only uname, mkdir, rm, rmdir, ln, mv, ls, readlink, cat, grep and tail.
# shellcheck shell=sh

set -u
# zsh running this file (`zsh install.sh`, `curl … | zsh`): behave like sh (word splitting, globs)
if [ -n "${ZSH_VERSION-}" ]; then emulate sh; fi

# shellcheck disable=SC2016  # the help text names variables, it does not expand them
USAGE='usage: install.sh [options]

Options:
  --from PATH         install from a source checkout or a wheel/sdist file instead of the index
  --version X         install shimkit X from the index (default: the newest release)
  --python PATH       create the environment with this interpreter (default: the first Python
                      >= 3.9 with venv support among python3, python3.14 ... python3.9, python)
  --no-modify-path    do not run `shimkit update-shell` (your shell startup files stay untouched)
  --uninstall         remove shimkit, the Pythons it installed, its caches and its shell lines
  -q, --quiet         print only errors
  -h, --help          show this help

Environment:
  SHIMKIT_INSTALL_DIR  the isolated environment (default: <user data dir>/shimkit/env)
  SHIMKIT_BIN_DIR      where the `shimkit` executable goes (default: $XDG_BIN_HOME or ~/.local/bin)
  NO_COLOR             set (non-empty) to disable colors
  PIP_*                pip settings (index URL, proxy, certificates) apply to the installation'

MANIFEST_NAME=shimkit-installer.txt
MARK_INIT='# shimkit: shell integration'
MARK_SHIMS='# shimkit: shims'
NL='
'

# ---- output ----------------------------------------------------------------------------------
opt_quiet=''
c_err='' c_warn='' c_bold='' c_off=''
setup_colors() {
  if [ -t 2 ] && [ -z "${NO_COLOR-}" ] && [ "${TERM-}" != dumb ]; then
    c_err=$(printf '\033[1;31m') c_warn=$(printf '\033[1;33m') c_bold=$(printf '\033[1m')
    c_off=$(printf '\033[0m')
  fi
}
say() {
  if [ -z "$opt_quiet" ]; then printf '%s\n' "$*" >&2; fi
}
warn() {
  printf '%swarning%s: %s\n' "$c_warn" "$c_off" "$*" >&2
}
# die MESSAGE [HINT]: one line, `error: MESSAGE; hint: HINT`; undoes a first installation's start
die() {
  printf '%serror%s: %s%s\n' "$c_err" "$c_off" "$1" "${2:+; hint: $2}" >&2
  undo_new
  exit 1
}
usage_error() {
  printf '%serror%s: %s\n%s\n' "$c_err" "$c_off" "$1" "$USAGE" >&2
  exit 2
}

# ---- arguments --------------------------------------------------------------------------------
opt_from='' opt_version='' opt_python='' opt_no_modify='' opt_uninstall=''
parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --from|--version|--python)
        if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
        set_opt "$1" "$2"
        shift 2
        continue ;;
      --from=*) set_opt --from "${1#*=}" ;;
      --version=*) set_opt --version "${1#*=}" ;;
      --python=*) set_opt --python "${1#*=}" ;;
      --no-modify-path) opt_no_modify=1 ;;
      --uninstall) opt_uninstall=1 ;;
      -q|--quiet) opt_quiet=1 ;;
      -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
      *) usage_error "unknown option: $1" ;;
    esac
    shift
  done
  if [ -n "$opt_from" ] && [ -n "$opt_version" ]; then
    usage_error "--from and --version exclude each other (--from installs what PATH holds)"
  fi
  case $opt_version in
    *[!0-9A-Za-z.+!-]*) usage_error "--version takes a version number such as 0.1.0, not '$opt_version'" ;;
  esac
  return 0
}
set_opt() {
  case $1 in
    --from) opt_from=$2 ;;
    --version) opt_version=$2 ;;
    --python) opt_python=$2 ;;
  esac
}

# ---- paths ------------------------------------------------------------------------------------
# absolute PATH: relative paths are taken from the working directory
absolute() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "${PWD:-$(pwd)}" "$1" ;;
  esac
}
# xdg VAR-VALUE DEFAULT: the XDG rule (relative values are invalid and ignored)
xdg() {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s' "$2" ;;
  esac
}

resolve_dirs() {
  if [ -z "${HOME-}" ]; then die "HOME is not set" "set HOME to your home directory"; fi
  case $HOME in
    *"$NL"*) die "HOME contains a line break; shimkit cannot record such paths" ;;
  esac
  if [ "$(uname -s 2>/dev/null)" = Darwin ]; then
    # what platformdirs (and so shimkit) uses on macOS
    data_home="$HOME/Library/Application Support"
    cache_home="$HOME/Library/Caches"
    config_home="$HOME/Library/Application Support"
  else
    data_home=$(xdg "${XDG_DATA_HOME-}" "$HOME/.local/share")
    cache_home=$(xdg "${XDG_CACHE_HOME-}" "$HOME/.cache")
    config_home=$(xdg "${XDG_CONFIG_HOME-}" "$HOME/.config")
  fi
  xdg_config=$(xdg "${XDG_CONFIG_HOME-}" "$HOME/.config")
  shimkit_data="$data_home/shimkit"
  env_dir=$(absolute "${SHIMKIT_INSTALL_DIR:-$shimkit_data/env}")
  bin_dir=$(absolute "${SHIMKIT_BIN_DIR:-$(xdg "${XDG_BIN_HOME-}" "$HOME/.local/bin")}")
  python_dir=$(absolute "${SHIMKIT_PYTHON_INSTALL_DIR:-$shimkit_data/python}")
  env_dir=${env_dir%/} bin_dir=${bin_dir%/}
  case "$env_dir$bin_dir" in
    *"$NL"*) die "SHIMKIT_INSTALL_DIR or SHIMKIT_BIN_DIR contains a line break" ;;
  esac
  env_py="$env_dir/bin/python"
  manifest="$env_dir/$MANIFEST_NAME"
  link="$bin_dir/shimkit"
}

# The files `shimkit update-shell SHELL` edits (shimkit.shell.rc_file; the end-to-end test in
# tests/test_installer_script.py sets up every shell and checks that --uninstall leaves nothing
# behind).  Printed one per line as "SHELL PATH".
rc_files() {
  zdot=$HOME
  case ${ZDOTDIR-} in /*) zdot=$ZDOTDIR ;; esac
  printf '%s\n' \
    "bash $HOME/.bashrc" \
    "zsh $zdot/.zshrc" \
    "sh $HOME/.profile" \
    "ksh $HOME/.kshrc" \
    "fish $xdg_config/fish/conf.d/shimkit.fish" \
    "xonsh $HOME/.xonshrc" \
    "pwsh $xdg_config/powershell/Microsoft.PowerShell_profile.ps1"
  if [ "$(uname -s 2>/dev/null)" = Darwin ] && [ -z "${XDG_CONFIG_HOME-}" ]; then
    printf '%s\n' "nu $HOME/Library/Application Support/nushell/autoload/shimkit.nu"
  else
    printf '%s\n' "nu $xdg_config/nushell/autoload/shimkit.nu"
  fi
}

# ---- remembering what did not exist -----------------------------------------------------------
# Paths (directories and rc files) that did not exist before this installer or shimkit created
# them, parents first; --uninstall removes those that are empty again.
created=''
note_new() {
  nn_p=${1%/} nn_list=''
  while [ -n "$nn_p" ] && [ "$nn_p" != "$HOME" ] && [ ! -e "$nn_p" ] && [ ! -L "$nn_p" ]; do
    nn_list="$nn_p$NL$nn_list"
    nn_p=${nn_p%/*}
  done
  while [ -n "$nn_list" ]; do
    nn_p=${nn_list%%"$NL"*}
    nn_list=${nn_list#*"$NL"}
    case "$NL$created" in
      *"$NL$nn_p$NL"*) ;;
      *) created="$created$nn_p$NL" ;;
    esac
  done
}

write_manifest() {
  {
    printf '%s\n' "# written by shimkit's install.sh; \`install.sh --uninstall\` reads it"
    printf 'link %s\n' "$link"
    printf '%s' "$created" | while IFS= read -r wm_p; do
      if [ -n "$wm_p" ]; then printf 'created %s\n' "$wm_p"; fi
    done
  } >"$manifest.tmp"
  if ! mv -f "$manifest.tmp" "$manifest"; then
    die "cannot write $manifest" "check that $env_dir is writable"
  fi
}

# read_manifest: add the paths an earlier run recorded to $created
read_manifest() {
  if [ -f "$manifest" ]; then
    while IFS= read -r rm_line; do
      case $rm_line in
        "created "*)
          case "$NL$created" in
            *"$NL${rm_line#created }$NL"*) ;;
            *) created="$created${rm_line#created }$NL" ;;
          esac ;;
      esac
    done <"$manifest"
  fi
}

# ---- undoing a failed first installation ---------------------------------------------------------
# new_env: the environment did not exist before this run (1; 2: it was an empty directory); made:
# the directories make_dir created in this run, parents first.  The link is the last step: once it
# is made, nothing is undone.
new_env='' made=''
undo_new() {
  if [ -n "$new_env" ]; then
    rm -rf "$env_dir"
    if [ "$new_env" = 2 ]; then mkdir "$env_dir" 2>/dev/null; fi
    new_env=''
  fi
  un_rev='' un_rest=$made
  while [ -n "$un_rest" ]; do
    un_rev="${un_rest%%"$NL"*}$NL$un_rev"
    un_rest=${un_rest#*"$NL"}
  done
  made=''
  printf '%s' "$un_rev" | while IFS= read -r un_p; do
    if [ -n "$un_p" ]; then rmdir "$un_p" 2>/dev/null; fi
  done
}

# writable_dir DIR HINT: DIR is, or could be created as, a writable directory (creates nothing)
writable_dir() {
  wd_p=$1
  while [ ! -e "$wd_p" ] && [ ! -L "$wd_p" ] && [ -n "$wd_p" ]; do wd_p=${wd_p%/*}; done
  if [ -z "$wd_p" ]; then wd_p=/; fi
  if [ ! -d "$wd_p" ]; then die "cannot create $1 (no write access?)" "$2"; fi
  if [ ! -w "$wd_p" ]; then
    if [ "$wd_p" = "$1" ]; then die "no write access to $1" "$2"; fi
    die "cannot create $1 (no write access?)" "$2"
  fi
}

# mkdir -p DIR, recording what it creates; a clear error when that is impossible
make_dir() {
  note_new "$1"
  md_p=${1%/} md_new=''
  while [ -n "$md_p" ] && [ ! -e "$md_p" ] && [ ! -L "$md_p" ]; do
    md_new="$md_p$NL$md_new"
    md_p=${md_p%/*}
  done
  made="$made$md_new"
  if ! mkdir -p "$1" 2>/dev/null || [ ! -d "$1" ]; then
    die "cannot create $1 (no write access?)" "$2"
  fi
  if [ ! -w "$1" ]; then
    die "no write access to $1" "$2"
  fi
}

# ---- finding Python ---------------------------------------------------------------------------
# Exit status: 0 usable, 10 too old, 11 no venv/ensurepip, 12 managed by shimkit itself.
# Runs under Python 2 too (so that it can say "too old").
PY_CHECK='import sys, os
v = sys.version_info
sys.stdout.write("%d.%d.%d\n" % tuple(v[:3]))
if v < (3, 9):
    sys.exit(10)
try:
    import venv, ensurepip
except ImportError:
    sys.exit(11)
inside = os.path.realpath(sys.argv[1]) + os.sep
if os.path.realpath(sys.base_prefix).startswith(inside):
    sys.exit(12)'

find_python() {
  python='' python_version='' tried=''
  if [ -n "$opt_python" ]; then
    try_python "$opt_python" && return 0
  else
    for fp_name in python3 python3.14 python3.13 python3.12 python3.11 python3.10 python3.9 python; do
      try_python "$fp_name" && return 0
    done
  fi
  die "no Python >= 3.9 that can create virtual environments was found${tried:+ (tried:$tried)}" \
    "install one (Debian/Ubuntu: sudo apt install python3 python3-venv; Fedora: sudo dnf install python3; macOS: https://www.python.org/downloads/), or name one with --python PATH"
}

try_python() {
  tp_exe=$(command -v "$1" 2>/dev/null) || {
    if [ -n "$opt_python" ]; then tried="$tried $1 (not found)"; fi
    return 1
  }
  tp_out=$("$tp_exe" -E -s -c "$PY_CHECK" "$python_dir" 2>/dev/null)
  tp_status=$?
  tp_out=${tp_out%%"$NL"*}
  case $tp_status in
    0) python=$tp_exe python_version=$tp_out; return 0 ;;
    10) tried="$tried $tp_exe ($tp_out: too old)" ;;
    11) tried="$tried $tp_exe ($tp_out: no venv/ensurepip module)" ;;
    12) tried="$tried $tp_exe ($tp_out: managed by shimkit; uninstalling it would break shimkit)" ;;
    *) tried="$tried $tp_exe (does not run)" ;;
  esac
  return 1
}

# ---- installing -------------------------------------------------------------------------------
env_works() {
  [ -x "$env_py" ] && "$env_py" -E -s -c 'import sys' >/dev/null 2>&1
}

# link_is_ours: the bin dir's `shimkit` is the link this installer made (or what is left of it)
link_is_ours() {
  [ -L "$link" ] && [ "$(readlink "$link" 2>/dev/null)" = "$env_dir/bin/shimkit" ]
}

prepare_env() {
  if [ -e "$env_dir" ] && [ ! -f "$manifest" ] && [ -n "$(ls -A "$env_dir" 2>/dev/null)" ]; then
    die "$env_dir exists and was not created by this installer" \
      "remove it, or choose another location with SHIMKIT_INSTALL_DIR"
  fi
  if [ -f "$manifest" ] && env_works; then
    say "Upgrading shimkit in $env_dir"
    return 0
  fi
  find_python
  if [ -f "$manifest" ]; then
    # its interpreter is gone (e.g. removed by the system's package manager): start afresh; what
    # the manifest recorded is in $created already
    say "Recreating $env_dir (its Python no longer runs)"
    rm -rf "$env_dir"
  elif [ -d "$env_dir" ]; then
    new_env=2
  else
    new_env=1
  fi
  make_dir "$env_dir" "choose another location with SHIMKIT_INSTALL_DIR"
  say "Creating an environment for shimkit in $env_dir (Python $python_version, $python)"
  if ! pe_out=$("$python" -E -s -m venv "$env_dir" 2>&1); then
    printf '%s\n' "$pe_out" >&2
    die "$python could not create a virtual environment in $env_dir" \
      "on Debian/Ubuntu: sudo apt install python3-venv; or name another interpreter with --python"
  fi
  write_manifest
}

# check_from: --from names a checkout (a directory with pyproject.toml), a wheel or an sdist
check_from() {
  cf_hint="point --from at a shimkit checkout or a wheel file"
  from_src=$(absolute "$opt_from")
  if [ -d "$from_src" ]; then
    if [ ! -f "$from_src/pyproject.toml" ]; then die "$opt_from is a directory without pyproject.toml" "$cf_hint"; fi
  elif [ ! -e "$from_src" ]; then
    die "$opt_from does not exist" "$cf_hint"
  elif [ ! -f "$from_src" ]; then
    die "$opt_from is neither a directory nor a file" "$cf_hint"
  else
    case $from_src in
      *.whl|*.tar.gz|*.zip) ;;
      *) die "$opt_from is not a wheel (.whl) or an sdist (.tar.gz, .zip)" "$cf_hint" ;;
    esac
  fi
}

# preflight: what can fail without a download is checked before anything is created
preflight() {
  if [ -n "$opt_from" ]; then check_from; fi
  writable_dir "$env_dir" "choose another location with SHIMKIT_INSTALL_DIR"
  writable_dir "$bin_dir" "choose another location with SHIMKIT_BIN_DIR"
  check_link
}

# pip's console script imports `re` to strip a Windows suffix from argv[0]: 7 ms at every start, a
# third of `shimkit --version` and of a shell's `shimkit init`. This one runs the same entry point
# without it. (A path pip would quote in the shebang keeps pip's script.)
lean_launcher() {
  case $env_py in *[!A-Za-z0-9_./+@-]*) return 0 ;; esac
  ll_tmp="$env_dir/bin/.shimkit.$$"
  if printf '#!%s\nimport sys\nfrom shimkit.entry import main\nsys.exit(main())\n' "$env_py" >"$ll_tmp" 2>/dev/null &&
    chmod 755 "$ll_tmp" && mv -f "$ll_tmp" "$env_dir/bin/shimkit"; then
    return 0
  fi
  rm -f "$ll_tmp"
}

pip_install() {
  if [ -n "$opt_from" ]; then
    pi_spec=$from_src
    pi_what="from $opt_from"
  elif [ -n "$opt_version" ]; then
    pi_spec="shimkit==$opt_version" pi_what="$opt_version from the package index"
  else
    pi_spec=shimkit pi_what="from the package index"
  fi
  say "Installing shimkit $pi_what"
  pi_log="$env_dir/install.log"
  # --upgrade: re-running moves to the newest release (a local checkout is always reinstalled)
  if "$env_py" -E -s -m pip install --disable-pip-version-check --no-input --upgrade "$pi_spec" \
    >"$pi_log" 2>&1; then
    lean_launcher
    return 0
  fi
  keep_log
  if grep -q -i -E 'NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|Network is unreachable|Connection refused|ConnectTimeout|timed out|ProxyError|SSLError|No route to host|nodename nor servname' "$pi_log"; then
    tail -n 5 "$pi_log" >&2
    die "cannot reach the package index to download shimkit or its dependencies (no network?)" \
      "check your connection or proxy (pip honors PIP_INDEX_URL, HTTPS_PROXY and PIP_CERT); full log: $pi_log"
  fi
  if grep -q -E 'No matching distribution found|Could not find a version that satisfies' "$pi_log"; then
    tail -n 5 "$pi_log" >&2
    die "the package index has no shimkit${opt_version:+ $opt_version} for Python $python_version" \
      "check the version; full log: $pi_log"
  fi
  tail -n 20 "$pi_log" >&2
  die "pip could not install shimkit $pi_what" "full log: $pi_log"
}

# keep_log: a new environment is removed when pip fails; its log is kept in TMPDIR
keep_log() {
  if [ -z "$new_env" ]; then return 0; fi
  kl_to="$(absolute "${TMPDIR:-/tmp}")/shimkit-install.$$.log"
  if mv -f "$pi_log" "$kl_to" 2>/dev/null; then pi_log=$kl_to; fi
}

check_link() {
  if { [ -e "$link" ] || [ -L "$link" ]; } && ! link_is_ours; then
    die "$link already exists and is not shimkit's installer link" \
      "remove it (another shimkit installation?), or choose another bin dir with SHIMKIT_BIN_DIR"
  fi
}

install_link() {
  make_dir "$bin_dir" "choose another location with SHIMKIT_BIN_DIR"
  check_link
  il_tmp="$bin_dir/.shimkit.install.$$"
  rm -f "$il_tmp"
  # a new link beside the old one, renamed over it: `shimkit` never goes missing
  if ! ln -s "$env_dir/bin/shimkit" "$il_tmp" 2>/dev/null || ! mv -f "$il_tmp" "$link" 2>/dev/null; then
    rm -f "$il_tmp"
    die "cannot write $link (no write access?)" "choose another bin dir with SHIMKIT_BIN_DIR"
  fi
  # installed: from here on a failure leaves the environment in place
  new_env='' made=''
}

# The shells to set up: the login shell ($SHELL) and bash, zsh and fish where installed.
shells_to_setup() {
  st_list=''
  case ${SHELL##*/} in
    bash|zsh|fish|ksh|xonsh) st_list=${SHELL##*/} ;;
    sh|dash|ash) st_list='sh' ;;
  esac
  for st_sh in bash zsh fish; do
    if command -v "$st_sh" >/dev/null 2>&1; then
      case " $st_list " in *" $st_sh "*) ;; *) st_list="$st_list $st_sh" ;; esac
    fi
  done
  if [ -z "$st_list" ]; then st_list='sh'; fi
  printf '%s' "$st_list"
}

# path_without_shimkit: PATH without the directories that hold a `shimkit`.  `shimkit update-shell`
# writes a bare `shimkit` when PATH finds it, but a shell started later may not have the bin dir on
# PATH yet (Debian's ~/.profile adds ~/.local/bin for bash and sh only); run without it, it writes
# the link's absolute path, quoted for each shell.
path_without_shimkit() {
  pw_rest="${PATH-}:" pw_out=''
  while [ -n "$pw_rest" ]; do
    pw_d=${pw_rest%%:*}
    pw_rest=${pw_rest#*:}
    if [ ! -e "${pw_d:-.}/shimkit" ]; then pw_out="$pw_out${pw_out:+:}$pw_d"; fi
  done
  printf '%s' "${pw_out:-/nonexistent}"
}

setup_shells() {
  ss_failed='' rc_changed=''
  ss_path=$(path_without_shimkit)
  for ss_sh in $(shells_to_setup); do
    ss_rc=$(rc_files | while IFS= read -r ss_line; do
      if [ "${ss_line%% *}" = "$ss_sh" ]; then printf '%s' "${ss_line#* }"; fi
    done)
    if [ -n "$ss_rc" ]; then note_new "$ss_rc"; fi
    ss_before=$(cat "$ss_rc" 2>/dev/null) || ss_before=''
    # through the bin dir's link, so the line written refers to it and survives upgrades; -q: the
    # installer itself says once what changed and what to do next
    if ! PATH=$ss_path "$link" -q update-shell "$ss_sh"; then
      ss_failed="$ss_failed $ss_sh"
      continue
    fi
    ss_after=$(cat "$ss_rc" 2>/dev/null) || ss_after=''
    if [ "$ss_before" != "$ss_after" ]; then
      rc_changed=1
      report_rc "$ss_rc"
    fi
  done
  write_manifest
  if [ -n "$ss_failed" ]; then
    warn "could not set up the shell integration for:$ss_failed; run \`shimkit update-shell SHELL\` later"
  fi
}

# report_rc FILE: the lines `shimkit update-shell` has in FILE (they carry its markers)
report_rc() {
  case $1 in
    */nushell/autoload/shimkit.nu) say "Wrote $1 (the hook itself; nushell loads it at start)"; return 0 ;;
  esac
  say "Added to $1:"
  grep -F -e "$MARK_INIT" -e "$MARK_SHIMS" "$1" 2>/dev/null | while IFS= read -r rr_l; do say "  $rr_l"; done
}

# has_pythons: shimkit has installed a Python already (then "shimkit install 3.12" is no news)
has_pythons() {
  hp_dir=$("$env_dir/bin/shimkit" dir 2>/dev/null) || hp_dir=$python_dir
  for hp_p in "$hp_dir"/cpython-*; do
    if [ -d "$hp_p" ]; then return 0; fi
  done
  return 1
}

on_path() {
  case ":${PATH-}:" in *":$1:"*) return 0 ;; esac
  return 1
}

do_install() {
  preflight
  read_manifest
  # the directories shimkit itself creates later, so that --uninstall can remove them too
  note_new "$shimkit_data"
  note_new "$cache_home/shimkit"
  note_new "$python_dir"
  # and the startup files `shimkit update-shell` may create, now or later
  di_rcs=$(rc_files)
  while [ -n "$di_rcs" ]; do
    di_line=${di_rcs%%"$NL"*}
    if [ "$di_line" = "$di_rcs" ]; then di_rcs=''; else di_rcs=${di_rcs#*"$NL"}; fi
    note_new "${di_line#* }"
  done
  # and where `shimkit --install-completion` puts its scripts (their directories go when empty)
  di_rcs=$(completion_files)
  while [ -n "$di_rcs" ]; do
    di_line=${di_rcs%%"$NL"*}
    if [ "$di_line" = "$di_rcs" ]; then di_rcs=''; else di_rcs=${di_rcs#*"$NL"}; fi
    note_new "${di_line#* }"
  done
  prepare_env
  pip_install
  if ! iv_version=$("$env_dir/bin/shimkit" --version 2>&1); then
    printf '%s\n' "$iv_version" >&2
    keep_log
    die "shimkit was installed into $env_dir but does not run" "see $pi_log"
  fi
  install_link
  write_manifest
  say "${c_bold}${iv_version}${c_off} is installed: $link"
  if [ -z "$opt_no_modify" ]; then
    setup_shells
    if [ "${SHELL##*/}" = bash ] && [ ! -e "$HOME/.bash_profile" ] && [ ! -e "$HOME/.bash_login" ] &&
      [ ! -e "$HOME/.profile" ]; then
      # shellcheck disable=SC2016  # the line to add, not to expand
      say 'Note: bash login shells (ssh, macOS Terminal) read ~/.profile, not ~/.bashrc; to load shimkit there too, add to ~/.profile:  if [ -n "$BASH_VERSION" ]; then . "$HOME/.bashrc"; fi'
    fi
    if has_pythons; then di_next=''; else di_next='shimkit install 3.12'; fi
    if [ -n "$rc_changed" ]; then
      say "Open a new shell (or source your shell's startup file) to use shimkit${di_next:+, then:  $di_next}"
    elif [ -n "$di_next" ]; then
      say "Next:  $di_next"
    fi
  else
    if has_pythons; then di_next=''; else di_next='shimkit install 3.12'; fi
    if on_path "$bin_dir"; then
      if [ -n "$di_next" ]; then say "Next:  $di_next"; fi
    else
      say "$bin_dir is not on PATH.  To use shimkit, add it (or run \`$link update-shell\`)${di_next:+, then:  $di_next}"
    fi
  fi
}

# ---- uninstalling -----------------------------------------------------------------------------
# remove_marked FILE: drop the lines `shimkit update-shell` added (they carry its markers)
remove_marked() {
  rm_file=$1
  if [ ! -f "$rm_file" ]; then return 0; fi
  case $rm_file in
    */fish/conf.d/shimkit.fish|*/nushell/autoload/shimkit.nu)
      # files of shimkit's own (`update-shell` fish/nu): nothing else belongs in them
      rm -f "$rm_file"
      say "Removed $rm_file"
      return 0 ;;
  esac
  if ! grep -q -F -e "$MARK_INIT" -e "$MARK_SHIMS" "$rm_file"; then return 0; fi
  rm_lines=$(grep -F -e "$MARK_INIT" -e "$MARK_SHIMS" "$rm_file")
  rm_tmp="$rm_file.shimkit-uninstall.$$"
  grep -v -F -e "$MARK_INIT" -e "$MARK_SHIMS" "$rm_file" >"$rm_tmp"
  # rewrite in place (keeps a symlinked dotfile a symlink, and its permissions)
  if cat "$rm_tmp" >"$rm_file"; then
    say "Removed from $rm_file:"
    printf '%s\n' "$rm_lines" | while IFS= read -r rm_l; do say "  $rm_l"; done
  else
    warn "could not edit $rm_file; remove the lines ending in '$MARK_INIT' yourself"
  fi
  rm -f "$rm_tmp"
}

# Completion scripts that `shimkit --install-completion` (typer; docs/shells.md) writes, one per
# line as "SHELL PATH".  typer uses ~/.config whatever XDG_CONFIG_HOME says; fish's own directory
# is listed too.
completion_files() {
  printf '%s\n' \
    "bash $HOME/.bash_completions/shimkit.sh" \
    "zsh $HOME/.zfunc/_shimkit" \
    "fish $HOME/.config/fish/completions/shimkit.fish"
  if [ "$xdg_config" != "$HOME/.config" ]; then
    printf '%s\n' "fish $xdg_config/fish/completions/shimkit.fish"
  fi
}

# is_shimkit_completion FILE: FILE is a regular file holding shimkit's completion script
is_shimkit_completion() {
  [ -f "$1" ] && [ ! -L "$1" ] && grep -q -F '_SHIMKIT_COMPLETE=' "$1"
}

# drop_lines FILE LINE [NEXT]: remove each line of FILE that is exactly LINE, with the blank line
# before it, and NEXT when it follows LINE after one blank line (how typer appends them); FILE is
# rewritten in place (a symlinked dotfile stays a symlink) only if something was removed.
drop_lines() {
  if [ ! -f "$1" ] || ! grep -q -x -F -e "$2" "$1"; then return 0; fi
  dl_tmp="$1.shimkit-uninstall.$$"
  dl_blanks=0 dl_after=''
  while IFS= read -r dl_l || [ -n "$dl_l" ]; do
    if [ -z "$dl_l" ]; then
      dl_blanks=$((dl_blanks + 1))
      continue
    fi
    if [ "$dl_l" = "$2" ]; then
      if [ "$dl_blanks" -gt 0 ]; then dl_blanks=$((dl_blanks - 1)); fi
      dl_after=1
    elif [ -n "$dl_after" ] && [ "$dl_blanks" = 1 ] && [ "$dl_l" = "${3-}" ]; then
      dl_blanks=0 dl_after=''
      continue
    else
      dl_after=''
    fi
    while [ "$dl_blanks" -gt 0 ]; do
      printf '\n'
      dl_blanks=$((dl_blanks - 1))
    done
    if [ -z "$dl_after" ]; then printf '%s\n' "$dl_l"; fi
  done <"$1" >"$dl_tmp"
  while [ "$dl_blanks" -gt 0 ]; do printf '\n' >>"$dl_tmp"; dl_blanks=$((dl_blanks - 1)); done
  if cat "$dl_tmp" >"$1"; then
    say "Removed from $1:"
    say "  $2"
  else
    warn "could not edit $1; remove the line '$2' yourself"
  fi
  rm -f "$dl_tmp"
}

# remove_completions: shimkit's completion scripts and the lines typer added to load them; a file of
# that name that is not shimkit's script is left alone, and so is its line
remove_completions() {
  completion_files | while IFS= read -r rc_line; do
    rc_f=${rc_line#* }
    if is_shimkit_completion "$rc_f"; then
      rm -f "$rc_f"
      say "Removed $rc_f"
    fi
  done
  rc_f="$HOME/.bash_completions/shimkit.sh"
  if [ ! -e "$rc_f" ] && [ ! -L "$rc_f" ]; then
    drop_lines "$HOME/.bashrc" "source '$rc_f'"
  fi
  # typer's zsh line loads every ~/.zfunc function, other programs' too: it goes only with the last
  if [ ! -e "$HOME/.zfunc/_shimkit" ] && { [ ! -d "$HOME/.zfunc" ] || [ -z "$(ls -A "$HOME/.zfunc" 2>/dev/null)" ]; }; then
    drop_lines "$HOME/.zshrc" "fpath+=~/.zfunc; autoload -Uz compinit; compinit" "zstyle ':completion:*' menu select"
  fi
}

do_uninstall() {
  if [ ! -f "$manifest" ]; then
    if link_is_ours; then rm -f "$link"; fi
    say "shimkit is not installed in $env_dir; nothing to remove"
    return 0
  fi
  read_manifest
  if env_works && [ -x "$env_dir/bin/shimkit" ]; then
    du_sk="$env_dir/bin/shimkit"
    du_installs=$("$du_sk" dir 2>/dev/null) || du_installs=$python_dir
    # every managed Python, its minor-version links and bin dir entries; shimkit goes too, so its
    # hints must not name it (a venv to recreate).  Not -q (unless asked): its warnings name the
    # virtual environments that stop working.  Its results (stdout) go with the installer's notes.
    du_q=''
    if [ -n "$opt_quiet" ]; then du_q=-q; fi
    # shellcheck disable=SC2086  # du_q is empty or -q
    if ! SHIMKIT_UNINSTALLING_SELF=1 "$du_sk" $du_q uninstall --all --yes >&2; then
      warn "\`shimkit uninstall --all\` failed; the Pythons in $du_installs may remain"
    fi
    "$du_sk" -q shims disable >/dev/null 2>&1 || :
    du_cache=$("$env_py" -E -s -c 'from shimkit import dirs; print(dirs.user_cache_dir())' 2>/dev/null) ||
      du_cache="$cache_home/shimkit"
    du_config=$("$env_py" -E -s -c 'from shimkit import dirs; print(dirs.user_config_dir())' 2>/dev/null) ||
      du_config="$config_home/shimkit"
  else
    warn "shimkit in $env_dir does not run any more; the Pythons it installed (in $python_dir) and their entries in the bin dir are left in place"
    du_installs='' du_cache="$cache_home/shimkit" du_config="$config_home/shimkit"
  fi
  if [ -n "$du_installs" ] && [ -d "$du_installs" ]; then
    # shimkit's own bookkeeping; the installations themselves are gone
    rm -rf "$du_installs/.lock" "$du_installs/.temp" "$du_installs/.venvs.json" "$du_installs/.cache"
    rmdir "$du_installs" 2>/dev/null || warn "$du_installs is not empty; left in place"
  fi
  case $du_cache in
    */shimkit) rm -rf "$du_cache" ;;
  esac
  rc_files | while IFS= read -r du_line; do
    remove_marked "${du_line#* }"
  done
  remove_completions
  if link_is_ours; then
    rm -f "$link"
  elif [ -e "$link" ]; then
    warn "$link is not the installer's link; left in place"
  fi
  rm -rf "$env_dir"
  rmdir "$shimkit_data/shims" 2>/dev/null || :
  # what did not exist before the installation and is empty again: deepest first
  du_rev=''
  du_rest=$created
  while [ -n "$du_rest" ]; do
    du_rev="${du_rest%%"$NL"*}$NL$du_rev"
    du_rest=${du_rest#*"$NL"}
  done
  printf '%s' "$du_rev" | while IFS= read -r du_p; do
    if [ -z "$du_p" ]; then continue; fi
    if [ -d "$du_p" ] && [ ! -L "$du_p" ]; then
      rmdir "$du_p" 2>/dev/null || :
    elif [ -f "$du_p" ] && [ ! -s "$du_p" ] && [ ! -L "$du_p" ]; then
      rm -f "$du_p"
    fi
  done
  say "shimkit is uninstalled"
  if [ -d "$du_config" ]; then
    say "Kept your settings in $du_config (remove it with: rm -r '$du_config')"
  fi
}

main() {
  setup_colors
  parse_args "$@"
  resolve_dirs
  if [ -n "$opt_uninstall" ]; then
    do_uninstall
  else
    do_install
  fi
}

main "$@"
