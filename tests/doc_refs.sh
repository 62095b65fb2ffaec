#!/bin/sh
# doc_refs.sh - every section number the code cites ("doc/scalesim-v2.md §7.3", "§6-7.2", "doc/scalesim-v2.md
# §5") must be a heading of doc/scalesim-v2.md ("## 5." or "### 7.3"), so a comment never points
# at a section that does not exist. Lines that mention v3 cite doc/scalesim-v3.md and are skipped.
: "${MMT_SRCDIR:?MMT_SRCDIR is not set (run through make check)}"
doc="$MMT_SRCDIR/doc/scalesim-v2.md"
[ -f "$doc" ] || { echo "FAIL: no $doc" >&2; exit 1; }
refs=$(find "$MMT_SRCDIR/src" "$MMT_SRCDIR/tests" "$MMT_SRCDIR/tools" -type f \
    \( -name '*.c' -o -name '*.h' -o -name '*.sh' \) -exec grep -h '§' {} + |
    grep -v 'v3' | grep -o '§[0-9][0-9.-]*' | tr -- '-' '\n' | sed 's/§//; s/\.$//' |
    grep . | sort -u)
[ -n "$refs" ] || { echo "FAIL: found no § references (the search is broken)" >&2; exit 1; }
failures=0
n=0
for r in $refs; do
    n=$((n + 1))
    case $r in
    *.*) pat="^### $r " ;;
    *) pat="^## $r\. " ;;
    esac
    grep -q "$pat" "$doc" || {
        echo "FAIL: §$r is cited in the code but is not a section of doc/scalesim-v2.md" >&2
        failures=$((failures + 1))
    }
done
[ "$failures" = 0 ] || exit 1
echo "doc_refs.sh: all $n cited sections exist"
