"""Shared paths of the mmtrace Python tests (run by tests/python.sh under make check, which
sets MMT_SRCDIR and MMT_BUILDDIR; by hand they default to the repository and its build/)."""

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("MMT_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("MMT_BUILDDIR") or os.path.join(SRCDIR, "build")
GOLDEN = os.path.join(SRCDIR, "tests", "golden")
FIXTURES = os.path.join(HERE, "fixtures")


def program(name):
    """The path of a built C program (mmtrace-gen, mmtrace-replay); skips if it is absent."""
    p = os.path.join(BUILDDIR, name)
    if not os.access(p, os.X_OK):
        pytest.skip("%s is not built" % p)
    return p
