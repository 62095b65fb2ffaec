#!/bin/sh
# Sets up a build in build/: installs the Debian build dependencies (when run as root),
# generates configure, configures and compiles. Safe to run again.
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && [ -z "${MMT_SKIP_DEPS:-}" ]; then
    tools/install-deps.sh
fi
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
fi
mkdir -p build
cd build
if [ ! -f Makefile ]; then
    ../configure -q
fi
make -j"$(nproc)" >/dev/null
