#!/bin/sh
# Sets up a build in build/: installs the Debian build dependencies (when run as root),
# generates configure, configures and compiles. Safe to run again.
set -e
cd "$(dirname "$0")/.."
. tools/lib.sh
prepare_tree
mkdir -p build
cd build
if [ ! -f Makefile ]; then
    ../configure -q
fi
make -j"$(nproc)" >/dev/null
