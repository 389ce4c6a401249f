<#
.SYNOPSIS
    shimkit installer for Windows (Windows PowerShell 5.1 and PowerShell 7).

.DESCRIPTION
    powershell -ExecutionPolicy ByPass -c "irm <release URL>/install.ps1 | iex"
    powershell -ExecutionPolicy ByPass -File install.ps1 -From C:\src\shimkit
    & ([scriptblock]::Create((irm <release URL>/install.ps1))) -Version 0.1.0

    The same steps as install.sh: find a Python >= 3.9 that can create virtual environments,
    create an isolated environment for shimkit (default: %LOCALAPPDATA%\shimkit\env), install
    shimkit into it with pip (from the package index, or -From PATH), put shimkit.exe into the bin
    dir (default: %USERPROFILE%\.local\bin), add the bin dir to the user Path and run
    `shimkit update-shell pwsh`.  Running it again upgrades in place; -Uninstall removes what it
    (and shimkit) created, and nothing else.

    Options (install.sh spelling in brackets):
      -From PATH      [--from]            a source checkout or a wheel/sdist instead of the index
      -Version X      [--version]         shimkit X from the index
      -Python PATH    [--python]          the interpreter that creates the environment
      -NoModifyPath   [--no-modify-path]  leave the user Path and the PowerShell profile alone
      -Uninstall      [--uninstall]       remove shimkit, its Pythons, caches, Path entry and profile line
      -Quiet          [--quiet]           print only errors
      -Help           [--help]            show this help
    Environment: SHIMKIT_INSTALL_DIR, SHIMKIT_BIN_DIR, NO_COLOR, and pip's PIP_* settings.
#>
param(
    [string]$From = '',
    [string]$Version = '',
    [string]$Python = '',
    [switch]$NoModifyPath,
    [switch]$Uninstall,
    [switch]$Quiet,
    [switch]$Help
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$ManifestName = 'shimkit-installer.txt'
$MarkInit = '# shimkit: shell integration'
$MarkShims = '# shimkit: shims'

# Stop-Install throws a message with this prefix (and keeps the hint); the handler at the bottom
# prints it as "error: ... / hint: ..." (no class: those behave differently under `iex`).
$ErrorPrefix = 'shimkit-install: '
$script:ErrorHint = ''

function Test-Color {
    return (-not $env:NO_COLOR) -and (-not [Console]::IsOutputRedirected) -and ($env:TERM -ne 'dumb')
}

function Write-Say([string]$Text) {
    if (-not $Quiet) { [Console]::Error.WriteLine($Text) }
}

function Write-Warn([string]$Text) {
    if (Test-Color) { Write-Host -NoNewline -ForegroundColor Yellow 'warning' } else { Write-Host -NoNewline 'warning' }
    Write-Host ": $Text"
}

function Stop-Install([string]$Message, [string]$Hint = '') {
    $script:ErrorHint = $Hint
    throw "$ErrorPrefix$Message"
}

# ---- paths ---------------------------------------------------------------------------------------
function Get-AbsolutePath([string]$Path) {
    if ([IO.Path]::IsPathRooted($Path)) { return [IO.Path]::GetFullPath($Path) }
    return [IO.Path]::GetFullPath((Join-Path (Get-Location).ProviderPath $Path))
}

function Resolve-Dirs {
    if (-not $env:LOCALAPPDATA -or -not $env:USERPROFILE) {
        Stop-Install 'LOCALAPPDATA or USERPROFILE is not set' 'run the installer as a normal user'
    }
    $script:DataDir = Join-Path $env:LOCALAPPDATA 'shimkit'
    $script:CacheDir = Join-Path $script:DataDir 'Cache'
    $appData = if ($env:APPDATA) { $env:APPDATA } else { $env:LOCALAPPDATA }
    $script:ConfigDir = Join-Path $appData 'shimkit'
    $envDir = if ($env:SHIMKIT_INSTALL_DIR) { $env:SHIMKIT_INSTALL_DIR } else { Join-Path $script:DataDir 'env' }
    $script:EnvDir = (Get-AbsolutePath $envDir).TrimEnd('\')
    if ($env:SHIMKIT_BIN_DIR) { $binDir = $env:SHIMKIT_BIN_DIR }
    elseif ($env:XDG_BIN_HOME -and [IO.Path]::IsPathRooted($env:XDG_BIN_HOME)) { $binDir = $env:XDG_BIN_HOME }
    else { $binDir = Join-Path $env:USERPROFILE '.local\bin' }
    $script:BinDir = (Get-AbsolutePath $binDir).TrimEnd('\')
    $pyDir = if ($env:SHIMKIT_PYTHON_INSTALL_DIR) { $env:SHIMKIT_PYTHON_INSTALL_DIR } else { Join-Path $script:DataDir 'python' }
    $script:PythonDir = Get-AbsolutePath $pyDir
    $script:EnvPython = Join-Path $script:EnvDir 'Scripts\python.exe'
    $script:EnvShimkit = Join-Path $script:EnvDir 'Scripts\shimkit.exe'
    $script:Manifest = Join-Path $script:EnvDir $ManifestName
    $script:BinExe = Join-Path $script:BinDir 'shimkit.exe'
}

# The PowerShell profiles `shimkit update-shell pwsh` may have edited (PowerShell 7 and 5.1).
function Get-ProfileFiles {
    $docs = [Environment]::GetFolderPath('MyDocuments')
    $bases = @((Join-Path $env:USERPROFILE 'Documents'))
    if ($docs -and ($bases -notcontains $docs)) { $bases += $docs }
    $files = @()
    foreach ($b in $bases) {
        $files += (Join-Path $b 'PowerShell\Microsoft.PowerShell_profile.ps1')
        $files += (Join-Path $b 'WindowsPowerShell\Microsoft.PowerShell_profile.ps1')
    }
    return $files
}

# ---- remembering what did not exist ---------------------------------------------------------------
$script:Created = New-Object System.Collections.Generic.List[string]
$script:PathAdded = ''

function Add-NewPaths([string]$Path) {
    $new = @()
    $p = $Path.TrimEnd('\')
    while ($p -and -not (Test-Path -LiteralPath $p) -and ($p -ne $env:USERPROFILE)) {
        $new = @($p) + $new
        $parent = Split-Path -Parent $p
        if ($parent -eq $p) { break }
        $p = $parent
    }
    foreach ($n in $new) { if (-not $script:Created.Contains($n)) { $script:Created.Add($n) } }
}

function Read-Manifest {
    if (-not (Test-Path -LiteralPath $script:Manifest)) { return }
    foreach ($line in [IO.File]::ReadAllLines($script:Manifest)) {
        if ($line.StartsWith('created ')) {
            $p = $line.Substring(8)
            if (-not $script:Created.Contains($p)) { $script:Created.Add($p) }
        } elseif ($line.StartsWith('path-added ')) {
            $script:PathAdded = $line.Substring(11)
        }
    }
}

function Write-Manifest {
    $lines = @("# written by shimkit's install.ps1; ``install.ps1 -Uninstall`` reads it", "link $($script:BinExe)")
    if ($script:PathAdded) { $lines += "path-added $($script:PathAdded)" }
    foreach ($p in $script:Created) { $lines += "created $p" }
    try {
        $tmp = "$($script:Manifest).tmp"
        [IO.File]::WriteAllLines($tmp, [string[]]$lines)
        Move-Item -LiteralPath $tmp -Destination $script:Manifest -Force
    } catch {
        Stop-Install "cannot write $($script:Manifest)" "check that $($script:EnvDir) is writable"
    }
}

function New-Dir([string]$Path, [string]$Hint) {
    Add-NewPaths $Path
    try {
        New-Item -ItemType Directory -Force -Path $Path | Out-Null
        $probe = Join-Path $Path ".shimkit-write-test-$PID"
        [IO.File]::WriteAllText($probe, '')
        Remove-Item -LiteralPath $probe -Force
    } catch {
        Stop-Install "cannot create or write to $Path (no write access?)" $Hint
    }
}

# ---- running programs -----------------------------------------------------------------------------
# Runs EXE with ARGS; returns @{ Code; Output }.  Native stderr must not become terminating
# errors (Windows PowerShell 5.1 turns redirected stderr lines into error records).
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $out = & $Exe @Arguments 2>&1 | ForEach-Object { "$_" }
        $code = $LASTEXITCODE
    } catch {
        $out = @("$_")
        $code = 9009
    } finally {
        $ErrorActionPreference = $saved
    }
    return @{ Code = $code; Output = (@($out) -join "`n") }
}

# ---- finding Python --------------------------------------------------------------------------------
# One line and no double quotes: Windows PowerShell 5.1 mangles quotes in native arguments.
# Exit status: 0 usable, 10 too old, 11 no venv/ensurepip, 12 managed by shimkit itself.
$PyCheck = "import sys, os; v = sys.version_info; sys.stdout.write('%d.%d.%d' % tuple(v[:3]) + chr(10)); " +
    "sys.exit(10) if v < (3, 9) else None; import importlib.util as u; " +
    "sys.exit(11) if not (u.find_spec('venv') and u.find_spec('ensurepip')) else None; " +
    "r = os.path.normcase(os.path.realpath(sys.argv[1])) + os.sep; " +
    "sys.exit(12) if os.path.normcase(os.path.realpath(sys.base_prefix)).startswith(r) else None"

function Find-Python {
    $candidates = @()
    if ($Python) { $candidates += , @($Python) }
    else { $candidates += , @('py', '-3'); $candidates += , @('python3'); $candidates += , @('python') }
    $tried = @()
    foreach ($c in $candidates) {
        $cmd = Get-Command $c[0] -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($null -eq $cmd) {
            if ($Python) { $tried += "$($c[0]) (not found)" }
            continue
        }
        $exe = $cmd.Path
        # @(): a one-element slice would otherwise be a string, and string + array concatenates
        $extra = @()
        if ($c.Count -gt 1) { $extra = @($c[1..($c.Count - 1)]) }
        $r = Invoke-Native $exe ($extra + @('-E', '-s', '-c', $PyCheck, $script:PythonDir))
        $ver = ($r.Output -split "`n")[0].Trim()
        $store = $exe -like '*\Microsoft\WindowsApps\*'
        switch ($r.Code) {
            0 {
                # the interpreter itself, not a launcher, goes into the environment
                $real = Invoke-Native $exe ($extra + @('-E', '-s', '-c', 'import sys; print(sys.executable)'))
                $script:PythonExe = ($real.Output -split "`n")[0].Trim()
                $script:PythonVersion = $ver
                return
            }
            10 { $tried += "$exe ($ver`: too old)" }
            11 { $tried += "$exe ($ver`: no venv/ensurepip module)" }
            12 { $tried += "$exe ($ver`: managed by shimkit; uninstalling it would break shimkit)" }
            default {
                if ($store) { $tried += "$exe (the Microsoft Store placeholder, not a Python)" }
                else { $tried += "$exe (does not run)" }
            }
        }
    }
    $what = if ($tried.Count) { " (tried: $($tried -join '; '))" } else { '' }
    Stop-Install "no Python >= 3.9 that can create virtual environments was found$what" `
        'install one from https://www.python.org/downloads/ (or: winget install Python.Python.3.12), or name one with -Python PATH'
}

# ---- installing ------------------------------------------------------------------------------------
function Test-EnvWorks {
    if (-not (Test-Path -LiteralPath $script:EnvPython)) { return $false }
    return (Invoke-Native $script:EnvPython @('-E', '-s', '-c', 'import sys')).Code -eq 0
}

# shimkit.exe in the bin dir is ours when it is a copy of the environment's launcher: the
# launcher embeds the environment's python.exe path.
function Test-BinExeOurs {
    if (-not (Test-Path -LiteralPath $script:BinExe)) { return $false }
    $bytes = [IO.File]::ReadAllBytes($script:BinExe)
    $text = [Text.Encoding]::UTF8.GetString($bytes)
    return $text.IndexOf($script:EnvPython, [StringComparison]::OrdinalIgnoreCase) -ge 0
}

function Initialize-Env {
    if ((Test-Path -LiteralPath $script:EnvDir) -and -not (Test-Path -LiteralPath $script:Manifest)) {
        if (Get-ChildItem -LiteralPath $script:EnvDir -Force | Select-Object -First 1) {
            Stop-Install "$($script:EnvDir) exists and was not created by this installer" `
                'remove it, or choose another location with SHIMKIT_INSTALL_DIR'
        }
    }
    if ((Test-Path -LiteralPath $script:Manifest) -and (Test-EnvWorks)) {
        Write-Say "Upgrading shimkit in $($script:EnvDir)"
        return
    }
    Find-Python
    New-Dir $script:EnvDir 'choose another location with SHIMKIT_INSTALL_DIR'
    if (Test-Path -LiteralPath $script:Manifest) {
        Write-Say "Recreating $($script:EnvDir) (its Python no longer runs)"
        Get-ChildItem -LiteralPath $script:EnvDir -Force | Where-Object { $_.Name -ne $ManifestName } |
            Remove-Item -Recurse -Force
    }
    Write-Say "Creating an environment for shimkit in $($script:EnvDir) (Python $($script:PythonVersion), $($script:PythonExe))"
    $r = Invoke-Native $script:PythonExe @('-E', '-s', '-m', 'venv', $script:EnvDir)
    if ($r.Code -ne 0) {
        [Console]::Error.WriteLine($r.Output)
        Stop-Install "$($script:PythonExe) could not create a virtual environment in $($script:EnvDir)" `
            'name another interpreter with -Python PATH'
    }
    Write-Manifest
}

function Install-Package {
    if ($From) {
        $src = Get-AbsolutePath $From
        if (Test-Path -LiteralPath $src -PathType Container) {
            if (-not (Test-Path -LiteralPath (Join-Path $src 'pyproject.toml'))) {
                Stop-Install "$From is a directory without pyproject.toml" 'point -From at a shimkit checkout or a wheel file'
            }
        } elseif (-not (Test-Path -LiteralPath $src -PathType Leaf)) {
            Stop-Install "$From does not exist" 'point -From at a shimkit checkout or a wheel file'
        }
        $spec = $src; $what = "from $From"
    } elseif ($Version) {
        $spec = "shimkit==$Version"; $what = "$Version from the package index"
    } else {
        $spec = 'shimkit'; $what = 'from the package index'
    }
    Write-Say "Installing shimkit $what"
    $log = Join-Path $script:EnvDir 'install.log'
    $r = Invoke-Native $script:EnvPython @('-E', '-s', '-m', 'pip', 'install', '--disable-pip-version-check',
        '--no-input', '--upgrade', $spec)
    [IO.File]::WriteAllText($log, $r.Output)
    if ($r.Code -eq 0) { return }
    $tail = (($r.Output -split "`n") | Select-Object -Last 5) -join "`n"
    [Console]::Error.WriteLine($tail)
    if ($r.Output -match 'NewConnectionError|Failed to establish a new connection|getaddrinfo failed|Name or service not known|Connection refused|ConnectTimeout|timed out|ProxyError|SSLError|actively refused') {
        Stop-Install 'cannot reach the package index to download shimkit or its dependencies (no network?)' `
            "check your connection or proxy (pip honors PIP_INDEX_URL, HTTPS_PROXY and PIP_CERT); full log: $log"
    }
    if ($r.Output -match 'No matching distribution found|Could not find a version that satisfies') {
        Stop-Install "the package index has no shimkit $Version for this Python" "check the version; full log: $log"
    }
    Stop-Install "pip could not install shimkit $what" "full log: $log"
}

function Install-BinExe {
    New-Dir $script:BinDir 'choose another location with SHIMKIT_BIN_DIR'
    if ((Test-Path -LiteralPath $script:BinExe) -and -not (Test-BinExeOurs)) {
        Stop-Install "$($script:BinExe) already exists and is not shimkit's installer copy" `
            'remove it (another shimkit installation?), or choose another bin dir with SHIMKIT_BIN_DIR'
    }
    # a copy beside the old file, renamed over it: shimkit.exe never goes missing
    $tmp = Join-Path $script:BinDir ".shimkit.exe.install.$PID"
    try {
        Copy-Item -LiteralPath $script:EnvShimkit -Destination $tmp -Force
        Move-Item -LiteralPath $tmp -Destination $script:BinExe -Force
    } catch {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
        Stop-Install "cannot write $($script:BinExe): $($_.Exception.Message)" 'choose another bin dir with SHIMKIT_BIN_DIR'
    }
}

function Send-EnvironmentChange {
    # Setting (and clearing) a user variable through .NET broadcasts WM_SETTINGCHANGE, so that new
    # terminals see the new Path without signing out.
    [Environment]::SetEnvironmentVariable('SHIMKIT_INSTALLER_BROADCAST', '1', 'User')
    [Environment]::SetEnvironmentVariable('SHIMKIT_INSTALLER_BROADCAST', $null, 'User')
}

function Add-UserPath {
    $key = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
    try {
        # the raw value: %VARIABLES% stay unexpanded, and the value kind (REG_EXPAND_SZ) is kept
        $old = [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $parts = @($old -split ';' | Where-Object { $_ })
        foreach ($p in $parts) {
            if ([Environment]::ExpandEnvironmentVariables($p).TrimEnd('\') -ieq $script:BinDir) { return }
        }
        $new = (@($script:BinDir) + $parts) -join ';'
        $key.SetValue('Path', $new, [Microsoft.Win32.RegistryValueKind]::ExpandString)
        $script:PathAdded = $script:BinDir
    } finally { $key.Close() }
    Send-EnvironmentChange
    Write-Say "Added $($script:BinDir) to your user Path (new terminals see it)"
}

function Remove-UserPath([string]$Dir) {
    $key = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
    try {
        $old = [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $keep = @($old -split ';' | Where-Object { $_ -and ([Environment]::ExpandEnvironmentVariables($_).TrimEnd('\') -ine $Dir) })
        if ($keep.Count -ne @($old -split ';' | Where-Object { $_ }).Count) {
            $key.SetValue('Path', ($keep -join ';'), [Microsoft.Win32.RegistryValueKind]::ExpandString)
            Write-Say "Removed $Dir from your user Path"
        }
    } finally { $key.Close() }
    Send-EnvironmentChange
}

function Install-Shimkit {
    Read-Manifest
    Add-NewPaths $script:DataDir
    Add-NewPaths $script:CacheDir
    Add-NewPaths $script:PythonDir
    Initialize-Env
    Install-Package
    $r = Invoke-Native $script:EnvShimkit @('--version')
    if ($r.Code -ne 0) {
        [Console]::Error.WriteLine($r.Output)
        Stop-Install "shimkit was installed into $($script:EnvDir) but does not run" "see $($script:EnvDir)\install.log"
    }
    $installed = ($r.Output -split "`n")[0].Trim()
    Install-BinExe
    Write-Manifest
    Write-Say "$installed is installed: $($script:BinExe)"
    if ($NoModifyPath) {
        Write-Say "Add $($script:BinDir) to your Path to use it, then:  shimkit install 3.12"
        return
    }
    Add-UserPath
    foreach ($f in (Get-ProfileFiles)) { Add-NewPaths $f }
    $q = @()
    if ($Quiet) { $q = @('-q') }
    $u = Invoke-Native $script:BinExe ($q + @('update-shell', 'pwsh'))
    if ($u.Output) { Write-Say $u.Output }
    if ($u.Code -ne 0) { Write-Warn 'could not set up the PowerShell hook; run `shimkit update-shell pwsh` later' }
    Write-Manifest
    if (-not (($env:Path -split ';') -contains $script:BinDir)) { $env:Path = "$($script:BinDir);$env:Path" }
    Write-Say 'Open a new terminal, then:  shimkit install 3.12'
}

# ---- uninstalling ----------------------------------------------------------------------------------
function Remove-MarkedLines([string]$File) {
    if (-not (Test-Path -LiteralPath $File -PathType Leaf)) { return }
    $lines = [IO.File]::ReadAllLines($File)
    $marked = @($lines | Where-Object { $_.Contains($MarkInit) -or $_.Contains($MarkShims) })
    if ($marked.Count -eq 0) { return }
    $keep = @($lines | Where-Object { -not ($_.Contains($MarkInit) -or $_.Contains($MarkShims)) })
    [IO.File]::WriteAllLines($File, [string[]]$keep)
    Write-Say "Removed from ${File}:"
    foreach ($m in $marked) { Write-Say "  $m" }
}

function Uninstall-Shimkit {
    if (-not (Test-Path -LiteralPath $script:Manifest)) {
        Write-Say "shimkit is not installed in $($script:EnvDir); nothing to remove"
        return
    }
    Read-Manifest
    $installs = $script:PythonDir
    $cache = $script:CacheDir
    if ((Test-EnvWorks) -and (Test-Path -LiteralPath $script:EnvShimkit)) {
        $d = Invoke-Native $script:EnvShimkit @('dir')
        if ($d.Code -eq 0 -and $d.Output) { $installs = ($d.Output -split "`n")[0].Trim() }
        $env:SHIMKIT_UNINSTALLING_SELF = '1'  # shimkit goes too: its hints must not name it
        try { $r = Invoke-Native $script:EnvShimkit @('-q', 'uninstall', '--all', '--yes') }
        finally { Remove-Item Env:SHIMKIT_UNINSTALLING_SELF -ErrorAction SilentlyContinue }
        if ($r.Code -ne 0) { Write-Warn "``shimkit uninstall --all`` failed; the Pythons in $installs may remain: $($r.Output)" }
        $c = Invoke-Native $script:EnvPython @('-E', '-s', '-c', 'from shimkit import dirs; print(dirs.user_cache_dir())')
        if ($c.Code -eq 0 -and $c.Output) { $cache = ($c.Output -split "`n")[0].Trim() }
    } else {
        Write-Warn "shimkit in $($script:EnvDir) does not run any more; the Pythons it installed (in $installs) are left in place"
        $installs = ''
    }
    if ($installs -and (Test-Path -LiteralPath $installs)) {
        foreach ($n in @('.lock', '.temp', '.venvs.json', '.cache')) {
            Remove-Item -LiteralPath (Join-Path $installs $n) -Recurse -Force -ErrorAction SilentlyContinue
        }
        if (-not (Get-ChildItem -LiteralPath $installs -Force | Select-Object -First 1)) {
            Remove-Item -LiteralPath $installs -Force
        } else { Write-Warn "$installs is not empty; left in place" }
    }
    if ((Split-Path -Leaf $cache) -in @('Cache', 'shimkit') -and (Test-Path -LiteralPath $cache)) {
        Remove-Item -LiteralPath $cache -Recurse -Force -ErrorAction SilentlyContinue
    }
    foreach ($f in (Get-ProfileFiles)) { Remove-MarkedLines $f }
    if ($script:PathAdded) { Remove-UserPath $script:PathAdded }
    if (Test-BinExeOurs) { Remove-Item -LiteralPath $script:BinExe -Force }
    elseif (Test-Path -LiteralPath $script:BinExe) { Write-Warn "$($script:BinExe) is not the installer's copy; left in place" }
    Remove-Item -LiteralPath $script:EnvDir -Recurse -Force
    # what did not exist before the installation and is empty again: deepest first
    for ($i = $script:Created.Count - 1; $i -ge 0; $i--) {
        $p = $script:Created[$i]
        if (Test-Path -LiteralPath $p -PathType Container) {
            if (-not (Get-ChildItem -LiteralPath $p -Force | Select-Object -First 1)) { Remove-Item -LiteralPath $p -Force }
        } elseif ((Test-Path -LiteralPath $p -PathType Leaf) -and ((Get-Item -LiteralPath $p).Length -eq 0)) {
            Remove-Item -LiteralPath $p -Force
        }
    }
    Write-Say 'shimkit is uninstalled'
    if (Test-Path -LiteralPath $script:ConfigDir) {
        Write-Say "Kept your settings in $($script:ConfigDir) (remove it with: Remove-Item -Recurse '$($script:ConfigDir)')"
    }
}

# ---- main ------------------------------------------------------------------------------------------
function Invoke-Main([string]$ScriptPath) {
    if ($Help) {
        if ($ScriptPath) { Get-Help -Detailed $ScriptPath | Out-Host }
        else { Write-Host 'Options: -From PATH -Version X -Python PATH -NoModifyPath -Uninstall -Quiet -Help' }
        return
    }
    if ($From -and $Version) {
        Stop-Install '-From and -Version exclude each other (-From installs what PATH holds)'
    }
    if ($Version -and ($Version -notmatch '^[0-9A-Za-z.+!-]+$')) {
        Stop-Install "-Version takes a version number such as 0.1.0, not '$Version'"
    }
    Resolve-Dirs
    if ($Uninstall) { Uninstall-Shimkit } else { Install-Shimkit }
}

# empty under `irm | iex`, the script's path when run with -File
$scriptPath = [string](Get-Variable -Name PSCommandPath -ValueOnly -ErrorAction SilentlyContinue)
$code = 0
try {
    # anything a step writes to the pipeline by accident is dropped, not returned
    $null = Invoke-Main $scriptPath
} catch {
    $text = "$($_.Exception.Message)"
    if ($text.StartsWith($ErrorPrefix)) { $text = $text.Substring($ErrorPrefix.Length) }
    else { $text = "unexpected failure: $text"; $script:ErrorHint = 'please report this with the full output' }
    if (Test-Color) { Write-Host -NoNewline -ForegroundColor Red 'error' } else { Write-Host -NoNewline 'error' }
    Write-Host ": $text"
    if ($script:ErrorHint) { Write-Host "  hint: $($script:ErrorHint)" }
    $code = 1
}
# `irm | iex` runs in the caller's session: only a script file may exit (and end the process)
if ($scriptPath -and $code -ne 0) { exit $code }
