/*
 * Test program for the shimkit launcher, built with mingw-w64 by tests/windows/conftest.py and
 * run under wine.  Its argv is the subject of the tests, so every option comes from the
 * environment instead.
 *
 * Target mode (default): print one JSON line to stdout:
 *     {"argv": [...], "cmdline": "...", "exe": "...", "cwd": "...", "env": {...}, "stdin": "<hex>"}
 *   TARGET_READ_STDIN=1     read stdin to EOF first and report it (hex)
 *   TARGET_SPAWN=<cmdline>  first run <cmdline> (inheriting everything) and wait for it; the
 *                           variable is removed for that child, so it does not recurse
 *   TARGET_READY_FILE=<p>   after printing, write our pid to <p>, then wait for Ctrl+C
 *                           (TARGET_ON_CTRL_C=<code>: exit with it when one arrives) or until
 *                           TARGET_SLEEP_MS has passed
 *   TARGET_STDERR=<text>    write <text> to stderr
 *   TARGET_EXIT=<n>         exit code (default 0)
 *
 * Driver mode (TARGET_DRIVE=<file>): start the UTF-8 command line in <file> exactly as written
 * (lpApplicationName NULL, so its first word is searched like a shell would), with
 * TARGET_DRIVE removed from the environment, and exit with its exit code.  Lets the tests choose
 * the raw command line a trampoline receives, which a Unix argv cannot express.
 *   TARGET_DRIVE_ACTION=kill     once TARGET_READY_FILE exists, TerminateProcess the started
 *                                process, then print {"target_exited": true|false} after
 *                                waiting up to 5 s for the pid in that file to end
 */

#define WIN32_LEAN_AND_MEAN
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static char out[1 << 20];
static size_t outlen;

static void emit(const char *s, size_t n)
{
    if (outlen + n < sizeof out) {
        memcpy(out + outlen, s, n);
        outlen += n;
    }
}

static void emits(const char *s) { emit(s, strlen(s)); }

/* A JSON string from UTF-16 (lone surrogates become U+FFFD via the conversion). */
static void emit_json(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *u = malloc(n > 0 ? (size_t)n : 1);
    char esc[8];
    WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL);
    emits("\"");
    for (const unsigned char *p = (const unsigned char *)u; n > 0 && *p; ++p) {
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\'; esc[1] = (char)*p;
            emit(esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            emits(esc);
        } else {
            emit((const char *)p, 1);
        }
    }
    emits("\"");
    free(u);
}

static void flush_out(void)
{
    DWORD written;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), out, (DWORD)outlen, &written, NULL);
    outlen = 0;
}

static wchar_t *getenv_w(const wchar_t *name)
{
    static wchar_t buf[32768];
    DWORD n = GetEnvironmentVariableW(name, buf, 32768);
    return (n > 0 && n < 32768) ? buf : NULL;
}

static char *read_all(HANDLE h, DWORD *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    DWORD got;
    while (ReadFile(h, buf + n, (DWORD)(cap - n), &got, NULL) && got > 0) {
        n += got;
        if (cap - n < 1024)
            buf = realloc(buf, cap *= 2);
    }
    *len = (DWORD)n;
    return buf;
}

static volatile LONG ctrl_c_code = -1;

static BOOL WINAPI on_ctrl(DWORD event)
{
    if (event == CTRL_C_EVENT && ctrl_c_code >= 0) {
        char line[64];
        snprintf(line, sizeof line, "{\"ctrl_c\": true}\n");
        emits(line);
        flush_out();
        ExitProcess((UINT)ctrl_c_code);
    }
    return TRUE;
}

static HANDLE start(wchar_t *cmdline)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    if (!CreateProcessW(NULL, cmdline, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        fprintf(stderr, "target: CreateProcessW failed: %lu\n", GetLastError());
        ExitProcess(250);
    }
    CloseHandle(pi.hThread);
    return pi.hProcess;
}

static DWORD wait_ready(const wchar_t *ready_file)
{
    for (int i = 0; i < 1000; ++i) {
        HANDLE f = CreateFileW(ready_file, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                               0, NULL);
        if (f != INVALID_HANDLE_VALUE) {
            char buf[32] = {0};
            DWORD got = 0;
            ReadFile(f, buf, sizeof buf - 1, &got, NULL);
            CloseHandle(f);
            if (got > 0 && buf[got - 1] == '\n')
                return (DWORD)strtoul(buf, NULL, 10);
        }
        Sleep(10);
    }
    fprintf(stderr, "target: timed out waiting for the ready file\n");
    ExitProcess(251);
}

static int drive(const wchar_t *file)
{
    HANDLE f = CreateFileW(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    DWORD len, code = 0;
    char *utf8;
    wchar_t *cmdline, action[64] = L"";
    const wchar_t *ready;
    HANDLE child;
    if (f == INVALID_HANDLE_VALUE)
        return 252;
    utf8 = read_all(f, &len);
    CloseHandle(f);
    cmdline = calloc(len + 1, sizeof(wchar_t));
    MultiByteToWideChar(CP_UTF8, 0, utf8, (int)len, cmdline, (int)len + 1);
    if (getenv_w(L"TARGET_DRIVE_ACTION"))
        wcsncpy(action, getenv_w(L"TARGET_DRIVE_ACTION"), 63);
    SetEnvironmentVariableW(L"TARGET_DRIVE", NULL);
    SetEnvironmentVariableW(L"TARGET_DRIVE_ACTION", NULL);

    child = start(cmdline);
    ready = getenv_w(L"TARGET_READY_FILE");
    if (wcscmp(action, L"kill") == 0) {
        DWORD pid = wait_ready(ready);
        HANDLE target = OpenProcess(SYNCHRONIZE, FALSE, pid);
        BOOL exited;
        if (target == NULL) {
            fprintf(stderr, "target: OpenProcess(%lu) failed: %lu\n", pid, GetLastError());
            return 254;
        }
        TerminateProcess(child, 9);
        exited = WaitForSingleObject(target, 5000) == WAIT_OBJECT_0;
        emits(exited ? "{\"target_exited\": true}\n" : "{\"target_exited\": false}\n");
        flush_out();
        if (!exited)
            TerminateProcess(target, 1);
    }
    WaitForSingleObject(child, INFINITE);
    GetExitCodeProcess(child, &code);
    return (int)code;
}

int wmain(int argc, wchar_t **argv)
{
    wchar_t *spawn, cwd[32768], exe[32768], *env, *p;
    const wchar_t *ready;
    char *input = NULL;
    DWORD input_len = 0;
    int code = 0;

    if (getenv_w(L"TARGET_DRIVE")) {
        wchar_t file[32768];
        wcscpy(file, getenv_w(L"TARGET_DRIVE"));
        return drive(file);
    }
    if ((spawn = getenv_w(L"TARGET_SPAWN")) != NULL) {
        wchar_t *cmd = _wcsdup(spawn);
        HANDLE child;
        SetEnvironmentVariableW(L"TARGET_SPAWN", NULL);
        child = start(cmd);
        WaitForSingleObject(child, INFINITE);
    }
    if (getenv_w(L"TARGET_READ_STDIN"))
        input = read_all(GetStdHandle(STD_INPUT_HANDLE), &input_len);
    if (getenv_w(L"TARGET_EXIT"))
        code = _wtoi(getenv_w(L"TARGET_EXIT"));
    if (getenv_w(L"TARGET_STDERR")) {
        char text[4096];
        DWORD written;
        int n = WideCharToMultiByte(CP_UTF8, 0, getenv_w(L"TARGET_STDERR"), -1, text, sizeof text, NULL, NULL);
        if (n > 1)
            WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, (DWORD)n - 1, &written, NULL);
    }

    emits("{\"argv\": [");
    for (int i = 0; i < argc; ++i) {
        if (i)
            emits(", ");
        emit_json(argv[i]);
    }
    emits("], \"cmdline\": ");
    emit_json(GetCommandLineW());
    GetModuleFileNameW(NULL, exe, 32768);
    emits(", \"exe\": ");
    emit_json(exe);
    GetCurrentDirectoryW(32768, cwd);
    emits(", \"cwd\": ");
    emit_json(cwd);
    emits(", \"env\": {");
    env = GetEnvironmentStringsW();
    for (p = env; *p; p += wcslen(p) + 1) {
        wchar_t *eq = wcschr(p + 1, L'='); /* "=C:=C:\\x" entries start with '=' */
        if (!eq)
            continue;
        *eq = 0;
        if (p != env)
            emits(", ");
        emit_json(p);
        emits(": ");
        emit_json(eq + 1);
        *eq = L'=';
    }
    emits("}, \"stdin\": \"");
    for (DWORD i = 0; i < input_len; ++i) {
        char hex[3];
        snprintf(hex, sizeof hex, "%02x", (unsigned char)input[i]);
        emit(hex, 2);
    }
    emits("\"}\n");
    flush_out();

    ready = getenv_w(L"TARGET_READY_FILE");
    if (ready) {
        wchar_t path[32768];
        char line[32];
        DWORD written, slept = 0, limit = 20000;
        HANDLE f;
        wcscpy(path, ready);
        if (getenv_w(L"TARGET_ON_CTRL_C"))
            ctrl_c_code = _wtoi(getenv_w(L"TARGET_ON_CTRL_C"));
        if (getenv_w(L"TARGET_SLEEP_MS"))
            limit = (DWORD)_wtoi(getenv_w(L"TARGET_SLEEP_MS"));
        SetConsoleCtrlHandler(NULL, FALSE); /* Ctrl+C may arrive disabled from the parent */
        SetConsoleCtrlHandler(on_ctrl, TRUE);
        f = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, 0, NULL);
        snprintf(line, sizeof line, "%lu\n", GetCurrentProcessId());
        WriteFile(f, line, (DWORD)strlen(line), &written, NULL);
        CloseHandle(f);
        while (slept < limit) {
            Sleep(10);
            slept += 10;
        }
    }
    return code;
}
