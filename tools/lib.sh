# lib.sh - shell helpers shared by tools/build.sh, tools/test.sh, tools/test-sanitized.sh and the
# benchmarks tools/bench-figures.sh and tools/bench-study.sh (sourced, not run; the build and test
# helpers expect the caller to have cd'd to the top of the source tree).

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

# median: the median of the numbers on stdin (the mean of the middle two when they are even).
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# secs COMMAND...: the seconds COMMAND took (its stdout in $W/last.out, its stderr in
# $W/last.err; sets s and e).
secs() {
    s=$(date +%s.%N)
    "$@" >"$W/last.out" 2>"$W/last.err"
    e=$(date +%s.%N)
    echo "$s $e" | awk '{ printf "%.3f\n", $2 - $1 }'
}

# real_program PROG: the binary behind PROG when PROG is a libtool wrapper script, so that a
# benchmark times the program itself: sets real_libs to its library directory (or - when PROG
# is the program itself) and real_prog to the binary (or PROG).
real_program() {
    real_d=$(dirname "$1") real_b=$(basename "$1")
    if [ -x "$real_d/.libs/$real_b" ] && head -c 2 "$1" | grep -q '#!'; then
        real_libs=$real_d/.libs real_prog=$real_d/.libs/$real_b
    else
        real_libs=- real_prog=$1
    fi
}
