#!/usr/bin/env bash
# Builds the peer programs tollgate's tests and demo run against, from their Go
# modules at pinned versions, into a git-ignored directory keyed by version:
#   $TOOLS_DIR/bin/<name>-<version>
# A tool already built is not built again, so each peer is built once per
# machine (and the Go build cache makes a rebuild after `rm -rf .tools` quick).
#
#   scripts/tools.sh path NAME   print the path of NAME's binary, building it if needed
#   scripts/tools.sh build NAME...  build the named tools (default: all)
#   scripts/tools.sh list        print NAME VERSION MODULE for every tool
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
TOOLS_DIR=${TOOLS_DIR:-$root/.tools}

# name version package
tools() {
  cat <<'LIST'
registry v3.1.2 github.com/distribution/distribution/v3/cmd/registry
cosign-v2 v2.6.5 github.com/sigstore/cosign/v2/cmd/cosign
cosign-v3 v3.1.3 github.com/sigstore/cosign/v3/cmd/cosign
crane v0.22.1 github.com/google/go-containerregistry/cmd/crane
act v0.2.82 github.com/nektos/act
LIST
}

lookup() {
  local line
  line=$(tools | awk -v n="$1" '$1 == n')
  [ -n "$line" ] || { echo "tools.sh: unknown tool $1 (known: $(tools | awk '{print $1}' | tr '\n' ' '))" >&2; exit 2; }
  echo "$line"
}

bin_path() {
  local name version pkg
  read -r name version pkg <<<"$(lookup "$1")"
  echo "$TOOLS_DIR/bin/$name-$version"
}

build() {
  local name version pkg out tmp start
  read -r name version pkg <<<"$(lookup "$1")"
  out="$TOOLS_DIR/bin/$name-$version"
  [ -x "$out" ] && return 0
  mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/logs"
  # One build at a time per tool, even under make -j or parallel test runs.
  exec 9>"$TOOLS_DIR/.lock-$name"
  flock 9
  if [ -x "$out" ]; then exec 9>&-; return 0; fi
  tmp=$(mktemp -d "$TOOLS_DIR/build.XXXXXX")
  start=$(date +%s)
  echo "tools.sh: building $name $version ($pkg@$version); first build on a machine takes minutes" >&2
  if ! GOBIN="$tmp" GOFLAGS="-trimpath" CGO_ENABLED=0 GOTOOLCHAIN=local \
      go install -ldflags="-s -w" "$pkg@$version" >"$TOOLS_DIR/logs/$name-$version.log" 2>&1; then
    echo "tools.sh: building $name failed; see $TOOLS_DIR/logs/$name-$version.log" >&2
    tail -20 "$TOOLS_DIR/logs/$name-$version.log" >&2
    rm -rf "$tmp"; exec 9>&-
    exit 1
  fi
  mv "$tmp/$(basename "$pkg")" "$out"
  rm -rf "$tmp"
  exec 9>&-
  echo "tools.sh: built $name $version in $(( $(date +%s) - start ))s" >&2
}

case "${1:-build}" in
  path)
    [ $# -eq 2 ] || { echo "usage: tools.sh path NAME" >&2; exit 2; }
    build "$2"; bin_path "$2" ;;
  build)
    shift || true
    if [ $# -eq 0 ]; then set -- $(tools | awk '{print $1}'); fi
    for t in "$@"; do build "$t"; done ;;
  list) tools ;;
  *) echo "usage: tools.sh path NAME | build [NAME...] | list" >&2; exit 2 ;;
esac
