/*
 * shimkit launcher: the native "trampoline" behind every Windows bin-dir entry
 * (for example %USERPROFILE%\.local\bin\python3.12.exe).
 *
 * The target's absolute path is appended to this executable by shimkit
 * (shimkit/trampoline.py), followed by a fixed 16-byte footer:
 *
 *     [PE image][target path, UTF-16LE, no NUL][u32 byte length][u32 version][8 bytes "SHIMKITL"]
 *
 * At run time the launcher reads that footer from its own file, starts the
 * target with the original command line's arguments untouched, waits for it
 * and exits with its exit code.  launcher/README.md explains every choice.
 *
 * Built without a C runtime (kernel32 only), so the code below avoids
 * anything that would need one: no stdio, no malloc, no large stack frames
 * (which would need __chkstk).
 */

#define WIN32_LEAN_AND_MEAN
#ifndef UNICODE
#define UNICODE
#endif
#include <windows.h>

#define FOOTER_SIZE 16
#define FORMAT_VERSION 1u
/* Longest path Windows accepts anywhere, in UTF-16 code units. */
#define MAX_TARGET_CHARS 32767u

static const char MAGIC[8] = {'S', 'H', 'I', 'M', 'K', 'I', 'T', 'L'};

/* The compiler may emit calls to these for struct copies and zeroing; there is
 * no C runtime to provide them.  volatile keeps the loops from being turned
 * back into calls to themselves. */
void *memset(void *dst, int value, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

void *memset(void *dst, int value, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    while (n--)
        *d++ = (unsigned char)value;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}

static size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        ++n;
    return n;
}

static void *alloc(size_t bytes)
{
    void *p = HeapAlloc(GetProcessHeap(), 0, bytes);
    if (!p)
        ExitProcess(1); /* nothing sensible is left to do without memory */
    return p;
}

/* Append src to the buffer at *pos. */
static void put(WCHAR *buf, size_t *pos, const WCHAR *src)
{
    while (*src)
        buf[(*pos)++] = *src++;
}

/* Write one line to stderr: UTF-16 to a console, UTF-8 to a pipe or file. */
static void report(const WCHAR *a, const WCHAR *b, const WCHAR *c, const WCHAR *d, const WCHAR *e)
{
    const WCHAR *parts[5];
    size_t total = 3, pos = 0, i;
    WCHAR *line;
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    DWORD mode, written;

    parts[0] = a; parts[1] = b; parts[2] = c; parts[3] = d; parts[4] = e;
    for (i = 0; i < 5; ++i)
        if (parts[i])
            total += wlen(parts[i]);
    line = (WCHAR *)alloc(total * sizeof(WCHAR));
    for (i = 0; i < 5; ++i)
        if (parts[i])
            put(line, &pos, parts[i]);
    /* A system message ends with CR LF already: keep the output one line. */
    while (pos && (line[pos - 1] == L'\r' || line[pos - 1] == L'\n' || line[pos - 1] == L' '))
        --pos;
    put(line, &pos, L"\r\n");
    if (err == NULL || err == INVALID_HANDLE_VALUE)
        return;
    if (GetConsoleMode(err, &mode)) {
        WriteConsoleW(err, line, (DWORD)pos, &written, NULL);
    } else {
        int n = WideCharToMultiByte(CP_UTF8, 0, line, (int)pos, NULL, 0, NULL, NULL);
        if (n > 0) {
            char *utf8 = (char *)alloc((size_t)n);
            WideCharToMultiByte(CP_UTF8, 0, line, (int)pos, utf8, n, NULL, NULL);
            WriteFile(err, utf8, (DWORD)n, &written, NULL);
        }
    }
}

/* This executable's own path (may be longer than MAX_PATH). */
static WCHAR *own_path(void)
{
    DWORD size = 512;
    for (;;) {
        WCHAR *buf = (WCHAR *)alloc(size * sizeof(WCHAR));
        DWORD n = GetModuleFileNameW(NULL, buf, size);
        if (n == 0)
            return NULL;
        if (n < size - 1)
            return buf;
        HeapFree(GetProcessHeap(), 0, buf);
        if (size > MAX_TARGET_CHARS)
            return NULL;
        size *= 2;
    }
}

static int read_exact(HANDLE file, LONGLONG offset, void *buf, DWORD n)
{
    LARGE_INTEGER at;
    DWORD got = 0;
    at.QuadPart = offset;
    if (!SetFilePointerEx(file, at, NULL, FILE_BEGIN))
        return 0;
    return ReadFile(file, buf, n, &got, NULL) && got == n;
}

static DWORD le32(const unsigned char *p)
{
    return (DWORD)p[0] | ((DWORD)p[1] << 8) | ((DWORD)p[2] << 16) | ((DWORD)p[3] << 24);
}

/* The target path recorded in this executable's footer, or NULL. */
static WCHAR *read_target(const WCHAR *self)
{
    unsigned char footer[FOOTER_SIZE];
    LARGE_INTEGER size;
    DWORD length, i;
    WCHAR *target = NULL;
    HANDLE file = CreateFileW(self, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    if (!GetFileSizeEx(file, &size) || size.QuadPart < FOOTER_SIZE + 2)
        goto done;
    if (!read_exact(file, size.QuadPart - FOOTER_SIZE, footer, FOOTER_SIZE))
        goto done;
    for (i = 0; i < 8; ++i)
        if (footer[8 + i] != (unsigned char)MAGIC[i])
            goto done;
    length = le32(footer);
    if (le32(footer + 4) != FORMAT_VERSION || length == 0 || length % 2 ||
        length > MAX_TARGET_CHARS * 2 || (LONGLONG)length > size.QuadPart - FOOTER_SIZE)
        goto done;
    target = (WCHAR *)alloc(length + sizeof(WCHAR));
    if (!read_exact(file, size.QuadPart - FOOTER_SIZE - length, target, length)) {
        target = NULL;
        goto done;
    }
    target[length / 2] = 0;
    if (wlen(target) != length / 2) /* an embedded NUL: not something shimkit wrote */
        target = NULL;
done:
    CloseHandle(file);
    return target;
}

/*
 * Skip argv[0] exactly as the Microsoft C runtime does (UCRT's
 * parse_command_line): everything up to the first space or tab outside
 * double quotes, where a quote only toggles quoting (backslashes are
 * literal); then the whitespace before argv[1].  What follows is handed to the
 * target unchanged, so the target's own runtime parses the very text it would
 * have parsed had it been started directly.
 */
static const WCHAR *skip_program_name(const WCHAR *p)
{
    int quoted = 0;
    for (; *p; ++p) {
        if (*p == L'"')
            quoted = !quoted;
        else if (!quoted && (*p == L' ' || *p == L'\t'))
            break;
    }
    while (*p == L' ' || *p == L'\t')
        ++p;
    return p;
}

/* "<target>" <arguments>: the target path quoted as argv[0] (a Windows path
 * cannot contain a double quote), then the caller's arguments verbatim. */
static WCHAR *child_command_line(const WCHAR *target, const WCHAR *arguments)
{
    size_t pos = 0;
    WCHAR *cmd = (WCHAR *)alloc((wlen(target) + wlen(arguments) + 4) * sizeof(WCHAR));
    put(cmd, &pos, L"\"");
    put(cmd, &pos, target);
    put(cmd, &pos, L"\"");
    if (*arguments) {
        put(cmd, &pos, L" ");
        put(cmd, &pos, arguments);
    }
    cmd[pos] = 0;
    return cmd;
}

static HANDLE child_process;

/* Ctrl+C, Ctrl+Break and console close go to every process attached to the
 * console, the child included: the launcher ignores them and lets the child
 * decide, then exits with whatever code the child chose.  On close (and
 * logoff/shutdown) Windows ends the launcher as soon as this returns, and the
 * job would take the child with it: wait for the child instead, within the
 * few seconds Windows grants. */
static BOOL WINAPI ignore_console_event(DWORD event)
{
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT && child_process)
        WaitForSingleObject(child_process, INFINITE);
    return TRUE;
}

/* A job that kills the child when the launcher's last handle to it closes,
 * which happens however the launcher ends (TerminateProcess included).
 * SILENT_BREAKAWAY_OK keeps grandchildren out of it, as if the target had been
 * started directly (a venv's launcher has its own job for its own child). */
static HANDLE kill_on_close_job(void)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job)
        return NULL;
    memset(&info, 0, sizeof info);
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info)) {
        CloseHandle(job);
        return NULL;
    }
    return job;
}

/* Hand the launcher's standard handles to the child explicitly (they may be
 * pipes that were not marked inheritable by whoever started us). */
static void pass_std_handle(DWORD which, HANDLE *slot)
{
    HANDLE h = GetStdHandle(which);
    *slot = h;
    if (h && h != INVALID_HANDLE_VALUE)
        SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
}

static int is_not_found(DWORD error)
{
    return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND || error == ERROR_DIRECTORY ||
           error == ERROR_INVALID_NAME;
}

/* Start the target suspended.  shimkit re-points a minor-version junction by renaming the old
 * one aside and the new one into place, so for an instant the target's directory is absent:
 * a "not found" is retried for ~150 ms before it is believed. */
static BOOL start_child(const WCHAR *target, WCHAR *cmd, STARTUPINFOW *si, PROCESS_INFORMATION *pi)
{
    DWORD wait = 10;
    for (;;) {
        /* The target is named explicitly (no PATH search); the environment and working
         * directory are inherited untouched: nothing is added for the child, so nothing leaks
         * to the processes it starts. */
        if (CreateProcessW(target, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, si, pi))
            return TRUE;
        if (!is_not_found(GetLastError()) || wait > 80)
            return FALSE;
        Sleep(wait);
        wait *= 2;
    }
}

static UINT run(void)
{
    WCHAR *self, *target, *cmd, message[512];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE job;
    DWORD code = 1, error;

    self = own_path();
    if (!self) {
        report(L"shimkit launcher: cannot find its own executable path", NULL, NULL, NULL, NULL);
        return 1;
    }
    target = read_target(self);
    if (!target) {
        report(L"shimkit launcher: ", self,
               L" carries no target (not written by shimkit, or damaged); reinstall it with shimkit", NULL,
               NULL);
        return 1;
    }
    cmd = child_command_line(target, skip_program_name(GetCommandLineW()));

    job = kill_on_close_job();
    SetConsoleCtrlHandler(ignore_console_event, TRUE);

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    GetStartupInfoW(&si); /* window title, show state etc. pass through */
    si.dwFlags &= ~(DWORD)STARTF_USEHOTKEY; /* shares hStdInput with the handles below */
    si.dwFlags |= STARTF_USESTDHANDLES;
    pass_std_handle(STD_INPUT_HANDLE, &si.hStdInput);
    pass_std_handle(STD_OUTPUT_HANDLE, &si.hStdOutput);
    pass_std_handle(STD_ERROR_HANDLE, &si.hStdError);

    if (!start_child(target, cmd, &si, &pi)) {
        error = GetLastError();
        if (is_not_found(error)) {
            report(L"shimkit launcher: target not found: ", target, L" (named by ", self,
                   L"); reinstall its Python with shimkit");
        } else {
            message[0] = 0;
            FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error, 0, message,
                           sizeof message / sizeof message[0], NULL);
            report(L"shimkit launcher: cannot run ", target, L": ", message, NULL);
        }
        return 1;
    }
    child_process = pi.hProcess;
    if (job)
        AssignProcessToJobObject(job, pi.hProcess); /* best effort: may be refused inside some jobs */
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    WaitForSingleObject(pi.hProcess, INFINITE);
    if (!GetExitCodeProcess(pi.hProcess, &code))
        code = 1;
    return code;
}

/* Entry point (no C runtime: see build.sh). */
void __stdcall launcher_entry(void);
void __stdcall launcher_entry(void)
{
    ExitProcess(run());
}
