#!/bin/sh
# Installs what building and testing mmtrace needs on a fresh Debian machine (run as root).
set -e
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: run as root (apt-get)" >&2
    exit 1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential autoconf automake libtool pkg-config make gzip \
    zlib1g-dev libcsv-dev libgsl-dev libcmocka-dev libjansson-dev \
    libcairo2-dev fonts-dejavu-core time parallel slurm-wlm munge \
    python3-dev python3-setuptools python3-pytest python3-pip >/dev/null
echo "install-deps.sh: build dependencies installed"
