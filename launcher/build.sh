#!/bin/sh
# Rebuild the Windows launchers from launcher.c, byte for byte reproducibly.
#
#   launcher/build.sh [OUT_DIR]        (default: shimkit/launchers)
#
# Both architectures are built by one exactly pinned toolchain, Zig's bundled clang + lld from
# PyPI (`pip install ziglang==0.17.1`), so the same inputs give the same bytes on any machine:
# no timestamps (lld writes a content hash where the PE header's TimeDateStamp goes), no paths
# (-fstrip, -ffile-prefix-map), fixed flags, no C runtime (kernel32.dll is the only import).
# Then launcher/SHA256SUMS lists the expected checksums; tests/windows/test_launcher.py rebuilds
# into a temp dir and compares.
#
# PYTHON selects the interpreter that has ziglang installed (default: python3).
set -eu

ZIG_VERSION=0.17.1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${1:-"$ROOT/shimkit/launchers"}
PYTHON=${PYTHON:-python3}

have=$("$PYTHON" -m ziglang version 2>/dev/null || true)
if [ "$have" != "$ZIG_VERSION" ]; then
    echo "build.sh: need Zig $ZIG_VERSION from PyPI (found: ${have:-none} via $PYTHON);" \
         "run: $PYTHON -m pip install ziglang==$ZIG_VERSION" >&2
    exit 1
fi
ZIG_LIB=$("$PYTHON" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "lib"))')

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# zig build-exe writes beside the working directory; build in a scratch dir so nothing lands in
# the source tree, with the source copied to a fixed name (its path must not matter).
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
cp "$HERE/launcher.c" "$WORK/launcher.c"

for arch in x86_64 aarch64; do
    (
        cd "$WORK"
        # build-exe rather than `zig cc`: it links no C runtime start files, so the entry point
        # is ours and the import table names kernel32.dll alone (nor compiler-rt: the code
        # needs none of its helpers).  The mingw-w64 headers come from Zig's own copy
        # (build-exe adds them only together with a libc).  The C code is compiled at -O2;
        # -O ReleaseSmall only sets Zig's own defaults.
        "$PYTHON" -m ziglang build-exe \
            -target "$arch-windows-gnu" \
            -O ReleaseSmall \
            -fstrip \
            -fno-compiler-rt \
            -fno-ubsan-rt \
            -fentry=launcher_entry \
            --subsystem console \
            -lkernel32 \
            --name "shimkit-launcher-$arch" \
            --cache-dir "$WORK/cache" \
            --global-cache-dir "$WORK/global-cache" \
            -cflags -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
                -ffile-prefix-map="$WORK"=. -isystem "$ZIG_LIB/libc/include/any-windows-any" -- \
            launcher.c
    )
    cp "$WORK/shimkit-launcher-$arch.exe" "$OUT/shimkit-launcher-$arch.exe"
done

sums=$(cd "$OUT" && sha256sum shimkit-launcher-x86_64.exe shimkit-launcher-aarch64.exe)
echo "$sums"
if [ "$OUT" = "$ROOT/shimkit/launchers" ]; then
    echo "$sums" > "$HERE/SHA256SUMS"
fi
