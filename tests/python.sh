#!/bin/sh
# python.sh - the Python package (python/): builds its extension against this tree's library
# (pkg-config finds build/mmtrace-uninstalled.pc) into a temporary directory, then runs its
# pytest suite (python/tests): the drop-in against the real SCALE-Sim v2 output in tests/golden,
# the Pythonic API against the C programs, an LLMCompass-style lookup-table loop, errors and
# the GIL. Skipped (77) when configure found no Python 3 with pytest, setuptools and Python.h.
# Needs MMT_SRCDIR, MMT_BUILDDIR, MMT_PYTHON and MMT_HAVE_PYTHON (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"

if [ "${MMT_HAVE_PYTHON:-no}" != yes ]; then
    echo "$TEST: SKIP: no Python 3 with pytest, setuptools and Python.h (apt-get install" \
        "python3-dev python3-setuptools python3-pytest, then configure again)" >&2
    exit 77
fi
case " ${MMT_CFLAGS:-} " in
*-fsanitize*)
    # CPython would have to load the sanitizer runtime first (LD_PRELOAD): not worth it here
    echo "$TEST: SKIP: a sanitizer build (the Python tests run in the plain make check)" >&2
    exit 77 ;;
esac
if [ ! -f "$MMT_BUILDDIR/.libs/libmmtrace-study.so" ]; then
    echo "$TEST: SKIP: no shared libmmtrace-study (configure --disable-shared)" >&2
    exit 77
fi
need_built "$GEN" "$REPLAY"
[ -f "$MMT_BUILDDIR/mmtrace-uninstalled.pc" ] || { echo "$TEST: no mmtrace-uninstalled.pc" >&2; exit 1; }

# The source tree may be read-only (distcheck): nothing is written there.
export PYTHONDONTWRITEBYTECODE=1
(cd "$MMT_SRCDIR/python" &&
    PKG_CONFIG_PATH="$MMT_BUILDDIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
        "$MMT_PYTHON" setup.py -q build --build-base "$TMP/build") >"$TMP/build.log" 2>&1 ||
    { echo "FAIL: $TEST: the extension does not build:" >&2; cat "$TMP/build.log" >&2; exit 1; }
lib=$(echo "$TMP"/build/lib*)
[ -f "$lib/mmtrace/__init__.py" ] || { echo "FAIL: $TEST: no package in $lib" >&2; exit 1; }

PYTHONPATH="$lib" "$MMT_PYTHON" -m pytest -q -p no:cacheprovider \
    --rootdir="$MMT_SRCDIR/python" "$MMT_SRCDIR/python/tests"
rc=$?
if [ "$rc" -eq 5 ]; then # pytest: no tests collected
    echo "$TEST: SKIP: pytest collected no tests" >&2
    exit 77
fi
exit "$rc"
