# Finds a JDK >= 21 and exports JAVA_HOME; sourced by bin/mvn and bin/ferry.
# Looks at FERRY_JAVA_HOME, JAVA_HOME, the java on PATH, then the usual install places,
# and picks the first that is new enough (the newest among the install places).

ferry_java_major() { # prints the feature version of the JDK at $1, or nothing
  local home=$1 v=
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  v=${v#1.}
  echo "${v%%[.+-]*}"
}

ferry_find_java() {
  local need=21 c major best= best_major=0 path_java
  local -a first=()
  [ -n "${FERRY_JAVA_HOME:-}" ] && first+=("$FERRY_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && first+=("$JAVA_HOME")
  if path_java=$(command -v java 2>/dev/null); then
    # resolve symlinks (update-alternatives); readlink -f is missing on old macOS
    path_java=$(readlink -f "$path_java" 2>/dev/null || echo "$path_java")
    first+=("${path_java%/bin/java}")
  fi
  for c in "${first[@]}"; do
    major=$(ferry_java_major "$c")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then
      export JAVA_HOME=$c
      return 0
    fi
  done
  for c in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* /opt/*/jdk* \
    "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* "$HOME"/.local/share/mise/installs/java/* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] || continue
    major=$(ferry_java_major "$c")
    if [ -n "$major" ] && [ "$major" -ge "$need" ] && [ "$major" -gt "$best_major" ]; then
      best=$c
      best_major=$major
    fi
  done
  if [ -n "$best" ]; then
    export JAVA_HOME=$best
    return 0
  fi
  {
    echo "ferry: a JDK 21 or newer is needed, and none was found."
    [ -n "${path_java:-}" ] && echo "  the java on PATH ($path_java) is version $(ferry_java_major "${path_java%/bin/java}")."
    echo "  Install one, for example:"
    echo "    Debian/Ubuntu:  sudo apt install openjdk-21-jdk   (or temurin-21-jdk from adoptium.net)"
    echo "    macOS:          brew install openjdk@21"
    echo "    any system:     sdk install java 21-tem           (sdkman.io)"
    echo "  or point FERRY_JAVA_HOME (or JAVA_HOME) at a JDK 21+ that is already installed."
  } >&2
  return 1
}
