#!/bin/bash
# Benchmarks the fused path's two engines side by side: mmtrace-replay --no-traces with
# --engine=rows and --engine=auto (folds where it is exact, rows elsewhere) (the study: --study with each engine), run alternately in
# the same loop so both see the same machine load. Prints, per case and engine, the median over
# N runs (default 3) of the wall time, the CPU time (user+sys) and the peak RSS
# (/usr/bin/time -f '%e %U %S %M'), and the rows/auto ratios of the medians. Both engines'
# reports are compared (they must be identical).
# Cases: one OPT-66B decode block (l = 2048) on the cloud and edge presets (topologies/hw/,
# topologies/study/); the paper study (both presets, 13 models, 6 lengths) from scratch with
# -j 2; the GPT-2 decode block on 32x32 OS in CALC mode and USER bandwidth 10 (tools/bench/);
# the OPT-66B block on the USER presets cloud-ddr3 and edge-lpddr4.
# Two more cases print no side-by-side times: `rss` runs the fold engine alone on one GEMM
# layer of growing size (M=1, N=K from 1024 to 65536; cloud and cloud-ddr3) and prints its
# peak RSS, which must stay flat; `coverage` runs every study topology (topologies/study, both
# presets) with -v and counts the layers the fold engine ran, listing any it did not.
# Usage: tools/bench-engines.sh [RUNS] [CASE...]   (cases: opt-cloud opt-edge study gpt2-calc
#        gpt2-user opt-cloud-ddr3 opt-edge-lpddr4 rss coverage; default all but the last
#        three; build dir: $MMT_BUILDDIR, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(opt-cloud opt-edge study gpt2-calc gpt2-user)
replay=${MMT_BUILDDIR:-build}/mmtrace-replay
[ -x "$replay" ] || { echo "bench-engines: $replay not built (tools/build.sh)" >&2; exit 1; }
# Time the real binary, not libtool's wrapper script (its shell start-up would dominate).
real=$(dirname "$replay")/.libs/$(basename "$replay")
if [ -x "$real" ]; then
    export LD_LIBRARY_PATH="$(cd "$(dirname "$replay")/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    replay=$real
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The command line of case $1 with engine $2 writing into $3.
cmd() {
    case $1 in
    opt-cloud | opt-edge | opt-cloud-ddr3 | opt-edge-lpddr4)
        echo "$replay -c topologies/hw/${1#opt-}.cfg -t topologies/study/opt-66b_decode_l2048.csv" \
            "-i gemm -p $3 --no-traces --engine=$2" ;;
    # SVG only: the PNG figures would add the same time to the run, whatever the engine.
    study) echo "$replay --study=$3 --format=svg -j 2 --engine=$2" ;;
    gpt2-calc) echo "$replay -c tools/bench/gpt2_block_32x32_os_calc.cfg -t tools/bench/gpt2_block.csv" \
        "-i gemm -p $3 --no-traces --engine=$2" ;;
    gpt2-user) echo "$replay -c tools/bench/gpt2_block_32x32_os_user_bw10.cfg" \
        "-t tools/bench/gpt2_block.csv -i gemm -p $3 --no-traces --engine=$2" ;;
    *) echo "bench-engines: unknown case $1" >&2; exit 2 ;;
    esac
}

# Peak RSS of the fold engine on one GEMM layer of growing size.
rss_case() {
    printf '%-12s %8s %8s   (fold engine alone, peak RSS in MB)\n' preset N=K wall_s
    for hw in cloud cloud-ddr3; do
        for nk in 1024 8192 65536; do
            printf 'Layer, M, N, K,\nbig, 1, %s, %s,\n' "$nk" "$nk" >"$tmp/big.csv"
            rm -rf "$tmp/rss"
            /usr/bin/time -f '%e %M' -o "$tmp/t" "$replay" -c "topologies/hw/$hw.cfg" \
                -t "$tmp/big.csv" -i gemm -p "$tmp/rss" --no-traces --engine=folds >/dev/null
            read -r w m <"$tmp/t"
            printf '%-12s %8s %8.3f %8.1f\n' "$hw" "$nk" "$w" "$(echo "$m / 1024" | bc -l)"
        done
    done
}

# Which of the study's layers the fold engine runs (replay -v says it per layer).
coverage_case() {
    local folds=0 rows=0
    for topo in topologies/study/*_l[0-9]*.csv; do
        case $topo in *.parts.csv) continue ;; esac
        for hw in cloud edge; do
            rm -rf "$tmp/cov"
            "$replay" -c "topologies/hw/$hw.cfg" -t "$topo" -i gemm -p "$tmp/cov" --no-traces \
                -v >/dev/null 2>"$tmp/err"
            folds=$((folds + $(grep -c ': fold engine$' "$tmp/err" || true)))
            rows=$((rows + $(grep -c ': row engine' "$tmp/err" || true)))
            grep ': row engine' "$tmp/err" | sed "s|^|  $hw $(basename "$topo"): |" || true
        done
    done
    echo "coverage: $folds layer runs on the fold engine, $rows on the rows" \
        "($(echo "scale=1; 100 * $folds / ($folds + $rows)" | bc)% folds)"
}

case " ${cases[*]} " in
*" rss "* | *" coverage "*)
    for c in "${cases[@]}"; do
        case $c in rss) rss_case ;; coverage) coverage_case ;; *)
            echo "bench-engines: run $c apart from rss and coverage" >&2; exit 2 ;; esac
    done
    exit 0 ;;
esac

W=(); C=()
printf '%-10s %-6s %9s %9s %9s   (medians of %d runs)\n' case engine wall_s cpu_s rss_MB "$runs"
for c in "${cases[@]}"; do
    declare -A wall=() cpu=() rss=()
    for ((i = 0; i < runs; i++)); do
        for e in rows auto; do
            rm -rf "$tmp/$e"
            # shellcheck disable=SC2046
            /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" $(cmd "$c" "$e" "$tmp/$e") >/dev/null 2>&1
            read -r w u s m <"$tmp/t"
            wall[$e]+="$w "
            cpu[$e]+="$(echo "$u + $s" | bc) "
            rss[$e]+="$m "
        done
        if [ "$c" = study ]; then
            cmp -s "$tmp/rows/fractions.csv" "$tmp/auto/fractions.csv" ||
                { echo "bench-engines: $c: fractions.csv differs between engines" >&2; exit 1; }
        else
            for f in "$tmp"/rows/*/*REPORT.csv; do
                cmp -s "$f" "$tmp/auto/${f#"$tmp"/rows/}" ||
                    { echo "bench-engines: $c: $(basename "$f") differs between engines" >&2; exit 1; }
            done
        fi
    done
    for e in rows auto; do
        W[${#W[@]}]=$(printf '%s\n' ${wall[$e]} | median)
        C[${#C[@]}]=$(printf '%s\n' ${cpu[$e]} | median)
        M=$(printf '%s\n' ${rss[$e]} | median)
        printf '%-10s %-6s %9.3f %9.3f %9.1f\n' "$c" "$e" "${W[-1]}" "${C[-1]}" "$(echo "$M / 1024" | bc -l)"
    done
    printf '%-10s ratio  %8.1fx %8.1fx\n' "$c" "$(echo "${W[-2]} / ${W[-1]}" | bc -l)" \
        "$(echo "${C[-2]} / (${C[-1]} + 0.001)" | bc -l)"
    unset wall cpu rss
done
