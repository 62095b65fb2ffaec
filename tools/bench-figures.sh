#!/bin/sh
# bench-figures.sh - the study's figure stage (cairo, in-process) against rsvg-convert, and the
# paper study with its PNGs, each the median of RUNS runs measured side by side in one
# invocation (the machine may be shared: the ratio is measured in the same run):
#  1. PNGs: the warm paper study (tools/study.sh's axes) with --format=png, the whole run timed
#     (tables and figure drawing included), against rsvg-convert converting the SVGs of the same
#     figures to PNGs of the same size (150 dpi) with as many processes as cores (xargs -P), as
#     mmtrace did before it drew its figures with cairo; target: 5x or more;
#  2. the warm paper study as users run it, SVG and PNG (the default); target: under 1 s.
# rsvg-convert is the benchmark's own need, not mmtrace's: it is installed here (librsvg2-bin)
# when missing and this runs as root. The program is timed itself, not libtool's wrapper.
# Usage: tools/bench-figures.sh [-n RUNS] [WORKDIR]
set -eu
runs=5
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-figures.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/tools/lib.sh" # median, secs, real_program
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mmt-bench-figures.XXXXXX")}
mkdir -p "$W"

if ! command -v rsvg-convert >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            librsvg2-bin >/dev/null
    else
        echo "bench-figures.sh: needs rsvg-convert (apt-get install librsvg2-bin)" >&2
        exit 1
    fi
fi

# The binary behind a libtool wrapper (and its library directory), else the program itself.
real_program "${MMTRACE_REPLAY:-$srcdir/build/mmtrace-replay}"
R=$real_prog
[ "$real_libs" = - ] || export LD_LIBRARY_PATH="$real_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cores=$(nproc 2>/dev/null || echo 2)

# rsvg-convert over every SVG in $1, $cores at once, 150 dpi (the page preset's PNGs)
rsvg_all() {
    find "$1" -name '*.svg' | sed 's/\.svg$//' |
        xargs -P "$cores" -I{} rsvg-convert -d 150 -p 150 -f png -o {}.png {}.svg
}
study() { sd=$1; shift; "$R" --study="$sd" --cache="$W/cache" -j "$cores" "$@"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $cores cores"
# warm the cache, and the SVGs rsvg-convert converts
study "$W/svg" --format=svg >/dev/null 2>&1 || { echo "bench-figures.sh: the study failed" >&2; exit 1; }
nfig=$(find "$W/svg/figures" -name '*.svg' | wc -l)

: >"$W/t.png"; : >"$W/t.rsvg"; : >"$W/t.default"
for i in $(seq "$runs"); do
    rm -rf "$W/png" "$W/default"
    secs study "$W/png" --format=png >>"$W/t.png"
    find "$W/svg/figures" -name '*.png' -delete
    secs rsvg_all "$W/svg/figures" >>"$W/t.rsvg"
    secs study "$W/default" >>"$W/t.default"
done
png=$(median <"$W/t.png") rsvg=$(median <"$W/t.rsvg") def=$(median <"$W/t.default")
echo "1. $nfig PNGs: the whole warm study with --format=png $png s; rsvg-convert -P $cores on" \
    "the same SVGs $rsvg s (medians of $runs): $(echo "$rsvg $png" | awk '{ printf "%.1f", $1 / $2 }')x" \
    "(target 5x)"
echo "2. the warm paper study, SVG and PNG (the default): $def s (median of $runs; target < 1 s)"
echo "   $(grep -c . "$W/t.default") runs: $(tr '\n' ' ' <"$W/t.default")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-figures.sh: work files in $W"
