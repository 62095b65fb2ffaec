#!/bin/sh
# exports.sh - the installed libraries export exactly what their public headers declare:
# libmmtrace.so the functions and data of mmtrace.h, libmmtrace-study.so those of mmtrace.h
# and mmtrace_study.h (make derives the lists, libmmtrace.sym and libmmtrace-study.sym, from
# the preprocessed headers). Internals shared between modules (mmt_stream_*, mmt_pyset_*,
# mmt__*) are not exported, every declared function is defined, and libcsv is linked into
# the libraries exactly when a library file uses it (the report, comparison and manifest readers
# and the study's field quoting do).
: "${MMT_BUILDDIR:?MMT_BUILDDIR is not set (run through make check)}"
: "${MMT_SRCDIR:?MMT_SRCDIR is not set (run through make check)}"
command -v nm >/dev/null 2>&1 || { echo "exports.sh: no nm; skipped"; exit 77; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
checked=0
for lib in libmmtrace libmmtrace-study; do
    so="$MMT_BUILDDIR/.libs/$lib.so"
    sym="$MMT_BUILDDIR/$lib.sym"
    [ -f "$so" ] || continue # --disable-shared
    checked=$((checked + 1))
    [ "$(wc -l <"$sym")" -gt 80 ] || fail "$sym: too few declarations (the list is broken)"
    grep -qx mmt_err_from_sys "$sym" || fail "$sym: mmt_err_from_sys is not listed"
    got=$(nm -D --defined-only "$so" | awk 'NF == 3 {print $3}' | sed 's/@.*//' | LC_ALL=C sort -u)
    printf '%s\n' "$got" | grep -v '^mmt_[a-z]' | grep . >/dev/null &&
        fail "$lib exports names outside mmt_[a-z]*: $(printf '%s\n' "$got" | grep -v '^mmt_[a-z]' | tr '\n' ' ')"
    extra=$(printf '%s\n' "$got" | LC_ALL=C comm -23 - "$sym")
    [ -z "$extra" ] || fail "$lib exports what no public header declares: $(echo $extra)"
    missing=$(printf '%s\n' "$got" | LC_ALL=C comm -13 - "$sym")
    [ -z "$missing" ] || fail "$lib does not define what its header declares: $(echo $missing)"
    for internal in mmt_stream_new mmt_stream_next_view mmt_pyset_new mmt_pysum mmt_fmt_pyfloat \
        mmt__diag; do
        printf '%s\n' "$got" | grep -qx "$internal" && fail "$lib exports the internal $internal"
    done
    if command -v readelf >/dev/null 2>&1; then
        used=$(grep -l '#include <csv.h>' "$MMT_SRCDIR"/src/lib/*.c "$MMT_SRCDIR"/src/lib/*/*.c \
            2>/dev/null)
        linked=$(readelf -d "$so" | grep NEEDED | grep libcsv)
        [ -n "$used" ] || [ -z "$linked" ] || fail "$lib is linked with libcsv, which no library file uses"
        [ -z "$used" ] || [ -n "$linked" ] || fail "$lib uses libcsv ($used) but is not linked with it"
    fi
done
[ "$checked" -gt 0 ] || { echo "exports.sh: no shared library built; skipped"; exit 77; }
[ "$failures" -eq 0 ] || exit 1
echo "exports.sh: $checked libraries export exactly their headers' declarations"
