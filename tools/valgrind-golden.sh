#!/bin/sh
# Runs mmtrace-gen, mmtrace-replay and mmtrace-replay --no-traces under valgrind memcheck on a
# few golden cases (tests/golden/<case>/{config.cfg,topology.csv}); any error or definite or
# indirect leak fails. Usage: tools/valgrind-golden.sh [BUILDDIR] [CASE...] (default build/).
set -u
cd "$(dirname "$0")/.."
src=$(pwd)
b=${1:-build}
[ $# -gt 0 ] && shift
[ -x "$b/mmtrace-gen" ] || { echo "valgrind-golden: $b/mmtrace-gen is not built" >&2; exit 1; }
cases=${*:-a_gemm_8x8_os_calc64 a_gemm_8x8_ws_user64_bw10 c_conv_8x8_is_calc1k f_edge_conv_8x8_os_user1k_bw3}
w=$(mktemp -d "${TMPDIR:-/tmp}/mmt-vg.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT
vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
# libtool wrappers: run the real binary when the programs are linked shared.
bin() { if [ -x "$b/.libs/$1" ]; then echo "$b/.libs/$1"; else echo "$b/$1"; fi; }
export LD_LIBRARY_PATH="$b/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bad=0
for c in $cases; do
    d="$src/tests/golden/$c"
    it=conv
    grep -q -- '-i gemm' "$d/command.txt" && it=gemm
    for run in "$(bin mmtrace-gen)" "$(bin mmtrace-replay)" "$(bin mmtrace-replay) --no-traces"; do
        # shellcheck disable=SC2086
        if $vg $run -c "$d/config.cfg" -t "$d/topology.csv" -i $it -p "$w/$c" >/dev/null 2>"$w/err"; then
            echo "ok   $c: ${run##*/}"
        else
            echo "FAIL $c: $run"
            cat "$w/err"
            bad=1
        fi
    done
done
exit $bad
