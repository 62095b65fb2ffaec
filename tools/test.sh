#!/bin/sh
# Sets up and runs every test: tools/build.sh, then `make check` and `make distcheck`.
set -e
cd "$(dirname "$0")/.."
tools/build.sh
cd build
status=0
make -j"$(nproc)" check || status=$?
if [ "$status" != 0 ]; then
    for f in $(find . -name '*.trs'); do
        if grep -q -E '^:test-result: (FAIL|ERROR)' "$f"; then
            echo "==== ${f%.trs}.log"
            tail -n 40 "${f%.trs}.log"
        fi
    done
    exit "$status"
fi
if ! make -j"$(nproc)" distcheck >distcheck.log 2>&1; then
    tail -n 60 distcheck.log
    echo "tools/test.sh: make distcheck failed (build/distcheck.log)"
    exit 1
fi
pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
echo "tools/test.sh: make check and make distcheck passed"
echo "${pass:-0} passed, ${fail:-0} failed"
