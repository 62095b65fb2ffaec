"""Builds the mmtrace Python package against an installed or built libmmtrace.

The library is found with pkg-config (``pkg-config mmtrace``): after ``make install`` that is
the installed ``mmtrace.pc``; for a build tree that was not installed, put the build directory
on ``PKG_CONFIG_PATH`` (it holds ``mmtrace-uninstalled.pc``, which pkg-config prefers).
The extension links ``libmmtrace-study`` (the study library) and ``libmmtrace`` (the core, which
the study library links rather than carries) and records the library directory as its run path,
so it finds them without ``LD_LIBRARY_PATH``.

    pip install --no-build-isolation ./python
"""
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup


def pkg_config(*args):
    """Runs pkg-config on the mmtrace package; exits with the reason if it is not found."""
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        out = subprocess.run([exe, *args, "mmtrace"], check=True, capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit("setup.py: pkg-config not found: apt-get install pkg-config")
    except subprocess.CalledProcessError as e:
        sys.exit("setup.py: libmmtrace not found by pkg-config (%s); install mmtrace "
                 "(make install) or set PKG_CONFIG_PATH to its build directory"
                 % e.stderr.strip())
    return out.stdout.strip()


def flags(text, prefix):
    """The arguments of text that start with prefix, without it."""
    return [a[len(prefix):] for a in shlex.split(text) if a.startswith(prefix)]


HERE = os.path.dirname(os.path.abspath(__file__))
include_dirs = flags(pkg_config("--cflags"), "-I")
library_dirs = flags(pkg_config("--libs"), "-L")
# The run path: the library's directory, or MMTRACE_RPATH (make install builds against the
# build tree but runs from the installed library).
libdir = os.environ.get("MMTRACE_RPATH") or pkg_config("--variable=libdir")
rpath = [libdir] if libdir else []
version = pkg_config("--modversion")
# mmtrace_study.h is installed beside mmtrace.h; in a build tree it is in src/lib/study.
include_dirs += [os.path.join(d, "study") for d in include_dirs]

setup(
    name="mmtrace",
    version=version,
    description="SCALE-Sim v2/v3-exact systolic-array simulation over libmmtrace",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=["mmtrace", "mmtrace.scalesim"],
    ext_modules=[
        Extension(
            "mmtrace._mmtrace",
            ["_mmtrace.c"],
            include_dirs=include_dirs,
            library_dirs=library_dirs,
            runtime_library_dirs=rpath,
            libraries=["mmtrace-study", "mmtrace"],
            extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                "-Wno-missing-field-initializers"],
        )
    ],
    zip_safe=False,
)
