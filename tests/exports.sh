#!/bin/sh
# exports.sh - the installed libraries export exactly what their public headers declare:
# libmmtrace.so the functions and data of mmtrace.h (and the few mmt__ internals the study
# library calls, src/lib/base/shared.sym), libmmtrace-study.so those of mmtrace_study.h alone:
# it links libmmtrace.so instead of carrying the core (make derives the lists, libmmtrace.sym
# and libmmtrace-study.sym, from the preprocessed headers). Other internals shared between
# modules (mmt_stream_*, mmt_pyset_*, mmt__*) are not exported, every declared function is
# defined, and libcsv is linked into the libraries exactly when a library file uses it (the
# report, comparison and manifest readers and the study's field quoting do).
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
    want=mmt_err_from_sys min=80
    [ "$lib" = libmmtrace ] || want=mmt_study_run min=10
    [ "$(wc -l <"$sym")" -gt "$min" ] || fail "$sym: too few declarations (the list is broken)"
    grep -qx "$want" "$sym" || fail "$sym: $want is not listed"
    got=$(nm -D --defined-only "$so" | awk 'NF == 3 {print $3}' | sed 's/@.*//' | LC_ALL=C sort -u)
    shared=$(grep '^mmt__' "$MMT_SRCDIR/src/lib/base/shared.sym")
    [ "$lib" = libmmtrace ] || shared=-
    outside=$(printf '%s\n' "$got" | grep -v '^mmt_[a-z]' | grep -vxF "$shared")
    [ -z "$outside" ] ||
        fail "$lib exports names outside mmt_[a-z]* and shared.sym: $(echo $outside)"
    extra=$(printf '%s\n' "$got" | LC_ALL=C comm -23 - "$sym")
    [ -z "$extra" ] || fail "$lib exports what no public header declares: $(echo $extra)"
    missing=$(printf '%s\n' "$got" | LC_ALL=C comm -13 - "$sym")
    [ -z "$missing" ] || fail "$lib does not define what its header declares: $(echo $missing)"
    for internal in mmt_stream_new mmt_stream_next_view mmt_pyset_new mmt_pysum mmt_fmt_pyfloat \
        mmt__tracew_err mmt__fig_check; do
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
# The study library defines none of the core's functions: it links them from libmmtrace.so.
so="$MMT_BUILDDIR/.libs/libmmtrace-study.so"
if [ -f "$so" ]; then
    core=$(nm -D --defined-only "$MMT_BUILDDIR/.libs/libmmtrace.so" | awk 'NF == 3 {print $3}' |
        sed 's/@.*//')
    twice=$(nm --defined-only "$so" | awk 'NF == 3 {print $3}' | grep -xF "$core" | head -n 5)
    [ -z "$twice" ] || fail "libmmtrace-study.so carries the core's $(echo $twice)"
    grep -qx mmt_strerror "$MMT_BUILDDIR/libmmtrace-study.sym" &&
        fail "libmmtrace-study.sym lists the core's mmt_strerror"
    command -v readelf >/dev/null 2>&1 && { readelf -d "$so" | grep NEEDED | grep -q 'libmmtrace\.so' ||
        fail "libmmtrace-study.so is not linked with libmmtrace.so"; }
    # every name it needs from the core is exported there (src/lib/base/shared.sym)
    undef=$(LD_LIBRARY_PATH="$MMT_BUILDDIR/.libs" ldd -r "$so" 2>&1 | grep 'undefined symbol' |
        grep -o 'mmt_[a-z0-9_]*' | head -n 5)
    [ -z "$undef" ] || fail "libmmtrace-study.so needs what libmmtrace.so does not export: $(echo $undef)"
fi
[ "$checked" -gt 0 ] || { echo "exports.sh: no shared library built; skipped"; exit 77; }
[ "$failures" -eq 0 ] || exit 1
echo "exports.sh: $checked libraries export exactly their headers' declarations"
