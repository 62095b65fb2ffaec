#!/bin/sh
# Sets up and runs every test: tools/build.sh, then `make check` and `make distcheck`.
set -e
cd "$(dirname "$0")/.."
. tools/lib.sh
tools/build.sh
cd build
status=0
make -j"$(nproc)" check || status=$?
exit_if_failed "$status"
if ! make -j"$(nproc)" distcheck >distcheck.log 2>&1; then
    tail -n 60 distcheck.log
    echo "tools/test.sh: make distcheck failed (build/distcheck.log)"
    exit 1
fi
print_summary "tools/test.sh: make check and make distcheck passed"
