#!/bin/sh
# Builds with AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer together in
# build-san/ (or $MMT_SAN_BUILDDIR) and runs `make check` there. Any sanitizer report fails
# the run: ASan/LSan exit 86, UBSan aborts (-fno-sanitize-recover). Static linking of
# libmmtrace (--disable-shared) lets the shell-script tests run the real binaries directly.
set -e
cd "$(dirname "$0")/.."
. tools/lib.sh
prepare_tree
src=$(pwd)
build=${MMT_SAN_BUILDDIR:-build-san}
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
    "$src/configure" -q --enable-asan --enable-ubsan --disable-shared
fi
make -j"$(nproc)" >/dev/null
ASAN_OPTIONS=detect_leaks=1:exitcode=86:abort_on_error=0:detect_stack_use_after_return=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
status=0
make -j"$(nproc)" check || status=$?
# A report from a test that expected a failure exit might still slip through: look for it.
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' $(find . -name '*.log') \
    >sanitizer-reports.txt 2>/dev/null; then
    echo "tools/test-sanitized.sh: sanitizer reports in:"
    cat sanitizer-reports.txt
    status=1
fi
exit_if_failed "$status"
print_summary "tools/test-sanitized.sh: make check passed under ASan+UBSan"
