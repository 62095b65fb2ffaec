#!/bin/sh
# install.sh - the package as a user gets it. Installs twice, with `make install DESTDIR=`
# (a staged install of configure's prefix) and with `make install prefix=` (another prefix),
# and checks each: the files (library, header, man pages, docs), mmtrace.pc naming the
# directories of that installation, only mmt_[a-z]* names exported (and libmmtrace's few
# internals for the study library, src/lib/base/shared.sym), and one outside program per
# library: tests/install/outside.c built with nothing but `pkg-config mmtrace`, whose cycle
# counts on golden cases must be SCALE-Sim's (COMPUTE_REPORT.py312sum.csv), and
# tests/install/outside_study.c with nothing but `pkg-config mmtrace-study` (a small study with
# figures). libmmtrace-study.so links libmmtrace.so and defines none of its functions.
. "$MMT_SRCDIR/tests/testlib.sh"
: "${MMT_MAKE:=make}" "${MMT_CC:=cc}" "${MMT_CFLAGS:=}" "${MMT_PREFIX:?MMT_PREFIX is not set}"
command -v pkg-config >/dev/null 2>&1 || { echo "install.sh: pkg-config not found" >&2; exit 1; }

# make install with the arguments given; the sub-make must not join `make check`'s job server.
install_with() {
    if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MMT_MAKE -C "$MMT_BUILDDIR" install "$@" \
        >"$TMP/install.log" 2>&1; then
        cat "$TMP/install.log" >&2
        echo "FAIL: make install $*" >&2
        exit 1
    fi
}

# check_install ROOT SYSROOT PREFIX: the installation under ROOT (SYSROOT is the DESTDIR, or
# empty) must be complete, its mmtrace.pc must say PREFIX, and the outside program must work.
check_install() {
    root=$1 sysroot=$2 want_prefix=$3 tag=$(basename "$1")
    # The .pc lies in its own libdir/pkgconfig and its header is in its includedir.
    pc=$(find "$root" -name mmtrace.pc | head -n 1)
    [ -n "$pc" ] || { fail "$tag: mmtrace.pc not installed"; return; }
    libdir=$(pkg-config --variable=libdir "$pc")
    incdir=$(pkg-config --variable=includedir "$pc")
    [ "$(pkg-config --variable=prefix "$pc")" = "$want_prefix" ] ||
        fail "$tag: mmtrace.pc: prefix is not $want_prefix"
    [ "$pc" = "$sysroot$libdir/pkgconfig/mmtrace.pc" ] ||
        fail "$tag: mmtrace.pc: libdir $libdir, but installed as $pc"
    [ -f "$sysroot$incdir/mmtrace.h" ] || fail "$tag: mmtrace.pc: no mmtrace.h in $incdir"
    grep -q '@' "$pc" && fail "$tag: mmtrace.pc: unsubstituted @...@"
    grep -q 'Libs.private:.*-lcsv' "$pc" ||
        fail "$tag: mmtrace.pc: libcsv (the report and manifest readers use it) not in Libs.private"
    grep -qiE 'gsl|cairo' "$pc" && fail "$tag: mmtrace.pc: GSL and cairo are the study library's"
    spc=$(dirname "$pc")/mmtrace-study.pc
    [ -f "$spc" ] || { fail "$tag: mmtrace-study.pc not installed"; return; }
    grep -q '^Requires: mmtrace' "$spc" || fail "$tag: mmtrace-study.pc does not require mmtrace"
    grep -q '^Libs:.*-lmmtrace-study' "$spc" || fail "$tag: mmtrace-study.pc: no -lmmtrace-study"
    grep -q '@' "$spc" && fail "$tag: mmtrace-study.pc: unsubstituted @...@"
    [ "$(pkg-config --variable=prefix "$spc")" = "$want_prefix" ] ||
        fail "$tag: mmtrace-study.pc: prefix is not $want_prefix"
    [ "$(pkg-config --modversion "$pc")" = "$(sed -n 's/^#define MMT_VERSION_STRING "\(.*\)"$/\1/p' \
        "$MMT_SRCDIR/src/lib/mmtrace.h")" ] || fail "$tag: mmtrace.pc: version is not mmtrace.h's"

    for f in man/man1/mmtrace-gen.1 man/man1/mmtrace-replay.1 man/man3/mmtrace.3 \
        doc/mmtrace/README.md doc/mmtrace/LICENSE doc/mmtrace/doc/scalesim-v2.md \
        doc/mmtrace/doc/study.md doc/mmtrace/doc/README.md doc/mmtrace/doc/dram.md \
        mmtrace/memories/DDR3-2133.ini mmtrace/memories/DDR4-3200.ini \
        mmtrace/memories/LPDDR4-3200.ini mmtrace/memories/HBM2.ini mmtrace/memories/GDDR6.ini; do
        [ -s "$sysroot$want_prefix/share/$f" ] || fail "$tag: not installed: share/$f"
    done

    # Exported names: only mmt_ followed by a letter (no mmt__ internals, nothing else). A
    # --disable-shared build (tools/test-sanitized.sh) installs libmmtrace.a only: it exports
    # nothing, and programs link it with `pkg-config --static`.
    so="$sysroot$libdir/libmmtrace.so" static=
    if [ -f "$so" ]; then
        nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ { print $3 }' >"$TMP/exports"
        grep '^mmt__' "$MMT_SRCDIR/src/lib/base/shared.sym" >"$TMP/shared"
        bad=$(grep -v '^mmt_[a-z]' "$TMP/exports" | grep -vxF -f "$TMP/shared" | head -n 5)
        [ -z "$bad" ] || fail "$tag: libmmtrace.so exports non-public names: $bad"
        grep -qx mmt_version "$TMP/exports" || fail "$tag: libmmtrace.so does not export mmt_version"
        # the study library links the core: none of the core's functions defined in it again
        sso="$sysroot$libdir/libmmtrace-study.so"
        [ -f "$sso" ] || fail "$tag: libmmtrace-study.so not installed"
        twice=$(nm --defined-only "$sso" | awk '{ print $3 }' | grep '^mmt_' |
            grep -xF -f "$TMP/exports" | head -n 5)
        [ -z "$twice" ] || fail "$tag: libmmtrace-study.so defines the core's $twice"
        readelf -d "$sso" 2>/dev/null | grep NEEDED | grep -q 'libmmtrace\.so' ||
            fail "$tag: libmmtrace-study.so is not linked with libmmtrace.so"
    elif [ -f "$sysroot$libdir/libmmtrace.a" ]; then
        static=--static
        echo "install.sh: $tag: static library only; export check skipped"
    else
        fail "$tag: neither libmmtrace.so nor libmmtrace.a in $libdir"
        return
    fi

    # Build the outside program through pkg-config alone (the sysroot prefixes the DESTDIR).
    cflags=$(PKG_CONFIG_PATH="$sysroot$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
        pkg-config --cflags mmtrace) &&
        libs=$(PKG_CONFIG_PATH="$sysroot$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
            pkg-config $static --libs mmtrace) || { fail "$tag: pkg-config mmtrace"; return; }
    # shellcheck disable=SC2086
    if ! $MMT_CC $MMT_CFLAGS $cflags -o "$TMP/outside" "$MMT_SRCDIR/tests/install/outside.c" \
        $libs 2>"$TMP/cc.log"; then
        cat "$TMP/cc.log" >&2
        fail "$tag: cannot build tests/install/outside.c against the installed library"
        return
    fi

    # The study's outside program through `pkg-config mmtrace-study` alone.
    scflags=$(PKG_CONFIG_PATH="$sysroot$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
        pkg-config --cflags mmtrace-study) &&
        slibs=$(PKG_CONFIG_PATH="$sysroot$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sysroot" \
            pkg-config $static --libs mmtrace-study) || { fail "$tag: pkg-config mmtrace-study"; return; }
    # shellcheck disable=SC2086
    if ! $MMT_CC $MMT_CFLAGS $scflags -o "$TMP/outside_study" \
        "$MMT_SRCDIR/tests/install/outside_study.c" $slibs 2>"$TMP/cc.log"; then
        cat "$TMP/cc.log" >&2
        fail "$tag: cannot build tests/install/outside_study.c through pkg-config mmtrace-study"
    elif ! LD_LIBRARY_PATH="$sysroot$libdir" "$TMP/outside_study" "$TMP/study-$tag" \
        >"$TMP/study.out" 2>"$TMP/study.err"; then
        fail "$tag: outside_study: $(cat "$TMP/study.err")"
    else
        printf 'points 2\nS100 1.9802\nalpha 1.000 beta 0.001000\n' | cmp -s - "$TMP/study.out" ||
            fail "$tag: outside_study printed: $(cat "$TMP/study.out")"
        for f in results.csv figures/heatmap_f_compute_edge.svg figures/heatmap_f_compute_edge.png \
            figures/heatmap_f_compute_edge.csv; do
            [ -s "$TMP/study-$tag/$f" ] || fail "$tag: outside_study wrote no $f"
        done
    fi

    # A conv case, and a GEMM case with read and write stalls (USER mode).
    for c in c_conv_8x8_os_calc64 a_gemm_8x8_ws_user1k_bw2; do
        cases=$((cases + 1))
        type=conv
        case $c in *gemm*) type=gemm ;; esac
        if ! LD_LIBRARY_PATH="$sysroot$libdir" "$TMP/outside" "$GOLDEN/$c/config.cfg" \
            "$GOLDEN/$c/topology.csv" "$type" >"$TMP/$c.out" 2>"$TMP/$c.err"; then
            fail "$tag: $c: outside: $(cat "$TMP/$c.err")"
            continue
        fi
        sed 1d "$GOLDEN/$c/COMPUTE_REPORT.py312sum.csv" | cut -d, -f1-3 >"$TMP/$c.want"
        cmp -s "$TMP/$c.want" "$TMP/$c.out" ||
            fail "$tag: $c: cycles differ: $(diff "$TMP/$c.want" "$TMP/$c.out" | head -n 4)"
    done
}

install_with DESTDIR="$TMP/destdir"
check_install "$TMP/destdir" "$TMP/destdir" "$MMT_PREFIX"
install_with prefix="$TMP/prefix"
check_install "$TMP/prefix" "" "$TMP/prefix"

[ "$failures" = 0 ] || exit 1
echo "install.sh: both installs complete; pkg-config build and $cases golden runs ok"
