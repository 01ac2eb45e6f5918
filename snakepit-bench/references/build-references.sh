#!/usr/bin/env bash
# Builds the two reference sides of `./snakepit bench --only references`, Py4J and Jep, from source into
# the bench's virtual environment .venv-bench/, so that the section can measure them.
#
# Usage: snakepit-bench/references/build-references.sh SRC_DIR...
#
# Each SRC_DIR is an unpacked source snapshot of Py4J (github.com/py4j/py4j: it has py4j-python/src/py4j)
# or of Jep (github.com/ninia/jep: it has setup.py and src/main/python/jep); give one of each, in any
# order, or only the one to rebuild. Neither is on the package index the bench installs from.
#
# - Py4J: its Python package (pure Python) is installed from py4j-python/src. Its Java side is the
#   bench's Maven dependency net.sf.py4j:py4j; the two should be the same version (checked below).
# - Jep: built with the JDK of JAVA_HOME (found as ./snakepit finds one when unset) and a C compiler
#   (Debian/Ubuntu: apt-get install build-essential), against the venv's Python, which must come with
#   its shared library (libpython3.X.so). Its Java classes are compiled for Java 21, the project's
#   floor. The jar and the native library land in the venv's site-packages/jep/, where the bench finds
#   them at run time: Jep is never a dependency of the build.
#
# It fetches nothing but from the package registries: setuptools and wheel, which the builds need, come
# from the pip index when the venv lacks them. Run `./snakepit bench --only noop --quick true` first if
# .venv-bench/ does not exist yet. Re-running the script reinstalls what it is given; removing both is
# `.venv-bench/bin/python -m pip uninstall py4j jep`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python="$root/.venv-bench/bin/python"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 SRC_DIR...   (unpacked source snapshots of Py4J and/or Jep)" >&2
  exit 2
fi
if [ ! -x "$python" ]; then
  echo "error: .venv-bench/ does not exist: run './snakepit bench --only noop --quick true' once to create it" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Installs Py4J's Python package from the snapshot $1. Its setup.py wants the jar that Py4J's Gradle
# build makes (a download of its own), so the package is installed from a copy with a minimal pyproject.
install_py4j() {
  local src="$1/py4j-python/src/py4j" version wanted
  version=$(sed -n "s/^__version__ = '\(.*\)'$/\1/p" "$src/version.py")
  wanted=$(sed -n 's:.*<py4j.version>\(.*\)</py4j.version>.*:\1:p' "$root/snakepit-bench/pom.xml")
  if [ "$version" != "$wanted" ]; then
    echo "warning: this snapshot is Py4J $version, the bench's Java side is Py4J $wanted" >&2
  fi
  rm -rf "$stage/py4j-python"
  mkdir "$stage/py4j-python"
  cp -r "$src" "$stage/py4j-python/py4j"
  rm -rf "$stage/py4j-python/py4j/tests"
  cat >"$stage/py4j-python/pyproject.toml" <<TOML
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "py4j"
version = "$version"
description = "Py4J's Python side, from a source snapshot, for the Snakepit benchmarks"
license = {text = "BSD-3-Clause"}

[tool.setuptools]
packages = ["py4j"]
TOML
  echo "installing Py4J $version into .venv-bench/" >&2
  "$python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps "$stage/py4j-python"
}

# Builds and installs Jep from the snapshot $1, in a fresh copy: setuptools would otherwise reuse the
# objects of an earlier build left in the snapshot, even when numpy, which Jep supports if present, came since.
install_jep() {
  local version
  if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    echo "error: building Jep needs a C compiler (Debian/Ubuntu: apt-get install build-essential)" >&2
    exit 1
  fi
  # shellcheck source=/dev/null
  . "$root/.mvn/wrapper/find-jdk.sh"
  if ! JAVA_HOME=$(find_jdk 21); then
    echo "error: building Jep needs a JDK >= 21: set JAVA_HOME to one" >&2
    exit 1
  fi
  export JAVA_HOME
  version=$(sed -n "s/^__VERSION__ = '\(.*\)'$/\1/p" "$1/src/main/python/jep/version.py")
  echo "building Jep $version with the JDK in $JAVA_HOME, installing it into .venv-bench/" >&2
  # javac reads JDK_JAVAC_OPTIONS: Jep's build gives javac no --release, which would tie the jar to this JDK.
  rm -rf "$stage/jep"
  cp -r "$1" "$stage/jep"
  rm -rf "$stage/jep/build"
  JDK_JAVAC_OPTIONS="--release 21" "$python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall \
    --no-deps "$stage/jep"
}

# Building without isolation uses the venv's own build tools: installed from the index when missing.
if ! "$python" -c 'import setuptools, wheel' >/dev/null 2>&1; then
  "$python" -m pip install --quiet --disable-pip-version-check setuptools wheel
fi

for dir in "$@"; do
  if [ -f "$dir/py4j-python/src/py4j/version.py" ]; then
    install_py4j "$dir"
  elif [ -f "$dir/setup.py" ] && [ -f "$dir/src/main/python/jep/version.py" ]; then
    install_jep "$dir"
  else
    echo "error: $dir is neither a Py4J source snapshot (py4j-python/src/py4j) nor a Jep one (src/main/python/jep)" >&2
    exit 1
  fi
done

"$python" - <<'PY'
import importlib.util

for name in ("py4j", "jep"):
    print("%s: %s" % (name, "installed" if importlib.util.find_spec(name) else "not installed"))
PY
