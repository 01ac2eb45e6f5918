# Sourced by ./mvnw and ./snakepit. Defines find_jdk, which prints the home of a JDK whose major
# version is at least $1 (default 21). Search order: JAVA_HOME, /usr/lib/jvm/* (highest version
# first), then the javac on PATH. Prints nothing and returns 1 when no such JDK exists.

jdk_major() {
  # Major version of the JDK at $1, read from its release file (no JVM start needed).
  release="$1/release"
  [ -f "$release" ] || return 1
  version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$release")
  [ -n "$version" ] || return 1
  case "$version" in
    1.*) echo "$version" | cut -d. -f2 ;;
    *) echo "$version" | cut -d. -f1 | cut -d- -f1 | cut -d+ -f1 ;;
  esac
}

is_usable_jdk() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  major=$(jdk_major "$1") || return 1
  [ "$major" -ge "$2" ] 2>/dev/null
}

find_jdk() {
  need=${1:-21}
  if [ -n "${JAVA_HOME:-}" ]; then
    if is_usable_jdk "$JAVA_HOME" "$need"; then
      echo "$JAVA_HOME"
      return 0
    fi
    echo "note: JAVA_HOME=$JAVA_HOME is not a JDK >= $need; looking elsewhere" >&2
  fi
  best=""
  best_major=0
  for dir in /usr/lib/jvm/*; do
    [ -d "$dir" ] || continue
    [ -L "$dir" ] && continue
    if is_usable_jdk "$dir" "$need"; then
      major=$(jdk_major "$dir")
      if [ "$major" -gt "$best_major" ]; then
        best=$dir
        best_major=$major
      fi
    fi
  done
  if [ -n "$best" ]; then
    echo "$best"
    return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if is_usable_jdk "$home" "$need"; then
      echo "$home"
      return 0
    fi
  fi
  return 1
}

require_jdk() {
  need=${1:-21}
  if ! JAVA_HOME=$(find_jdk "$need"); then
    echo "error: no JDK >= $need found. Looked at JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm/* and the javac on PATH." >&2
    echo "       Install one (for example: apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME
}
