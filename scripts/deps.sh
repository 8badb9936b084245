#!/usr/bin/env bash
# Installs the Debian packages tollgate's tests need when they are missing:
#   openssl   the CA of the bring-your-own-PKI tests, the setup action's signature check
#   curl      the setup action's download (tested against a local server)
#   git       the repository act runs the example workflow in
# It does nothing when everything is there; it needs root (or sudo) and apt
# otherwise, and says what to install by hand when it cannot.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v git >/dev/null 2>&1 || need+=(git)

[ ${#need[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${need[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "deps.sh: missing ${need[*]} and not root: install them with apt-get" >&2; exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: missing ${need[*]} and no apt-get: install them by hand" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
