# lib.sh - shell helpers shared by tools/build.sh, tools/test.sh and tools/test-sanitized.sh
# (sourced, not run; the caller has cd'd to the top of the source tree).

# Installs the Debian build dependencies (as root, unless MMT_SKIP_DEPS is set) and regenerates
# configure when it is missing or older than configure.ac or Makefile.am.
prepare_tree() {
    if [ "$(id -u)" = 0 ] && [ -z "${MMT_SKIP_DEPS:-}" ]; then
        tools/install-deps.sh
    fi
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
        ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
    fi
}

# exit_if_failed STATUS: when STATUS (of `make check`, in the build directory) is not 0, shows
# the end of the log of every test that failed and exits with STATUS.
exit_if_failed() {
    [ "$1" = 0 ] && return 0
    for f in $(find . -name '*.trs'); do
        if grep -q -E '^:test-result: (FAIL|ERROR)' "$f"; then
            echo "==== ${f%.trs}.log"
            tail -n 40 "${f%.trs}.log"
        fi
    done
    exit "$1"
}

# print_summary MESSAGE: MESSAGE, then the pass and fail counts of test-suite.log.
print_summary() {
    pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
    fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
    echo "$1"
    echo "${pass:-0} passed, ${fail:-0} failed"
}
