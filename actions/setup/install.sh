#!/usr/bin/env bash
# Installs tollgate for a GitHub Actions job (see action.yml):
#   - a tollgate already on PATH that reports exactly VERSION is used as is
#     (a runner's own tool, trusted as its curl, tar and openssl are);
#   - otherwise the release archive for VERSION is downloaded from BASE_URL,
#     its SHA-256 checked against the release's checksums file, and that
#     checksums file's signature checked with the release public key
#     (PUBLIC_KEY, PEM), before the binary is put on PATH. Any mismatch stops
#     the job: nothing downloaded runs before it is verified.
# Inputs come from the environment: VERSION, BASE_URL, PUBLIC_KEY, INSTALL_DIR.
set -euo pipefail

: "${VERSION:?VERSION is required}"
BASE_URL=${BASE_URL:-https://github.com/tollgate-dev/tollgate/releases/download}
INSTALL_DIR=${INSTALL_DIR:-${RUNNER_TOOL_CACHE:-$HOME/.tollgate}/tollgate/$VERSION}
out=${GITHUB_OUTPUT:-/dev/null}
path_file=${GITHUB_PATH:-/dev/null}

if command -v tollgate >/dev/null 2>&1; then
  have=$({ tollgate version 2>/dev/null || true; } | awk 'NR==1 {print $2}')
  if [ "$have" = "$VERSION" ]; then
    echo "tollgate $VERSION found on PATH at $(command -v tollgate)"
    echo "path=$(command -v tollgate)" >>"$out"
    echo "version=$VERSION" >>"$out"
    exit 0
  fi
  echo "tollgate on PATH is ${have:-unknown}, not $VERSION: installing $VERSION"
fi

case "$(uname -m)" in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "::error title=tollgate setup::unsupported architecture $(uname -m)"; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
v=${VERSION#v}
archive="tollgate_${v}_${os}_${arch}.tar.gz"
sums="tollgate_${v}_checksums.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { curl --fail --silent --show-error --location --retry 3 --proto '=https,http' -o "$work/$2" "$BASE_URL/$VERSION/$1"; }
fetch "$archive" "$archive"
fetch "$sums" "$sums"
fetch "$sums.sig" "$sums.sig"

key="$work/release.pub"
case "${PUBLIC_KEY:-}" in
  *'-----BEGIN PUBLIC KEY-----'*) printf '%s\n' "$PUBLIC_KEY" >"$key" ;;
  '') : >"$key" ;;
  *)
    if [ -f "$PUBLIC_KEY" ]; then cp "$PUBLIC_KEY" "$key"; else
      echo "::error title=tollgate setup::no release public key: $PUBLIC_KEY does not exist (an action ref that was never released has none); pass the public-key input"
      exit 1
    fi ;;
esac
if ! grep -q -- '-----BEGIN PUBLIC KEY-----' "$key"; then
  echo "::error title=tollgate setup::no release public key: pass the public-key input (a PEM file or the key itself)"
  exit 1
fi
# The signature is base64 (as cosign sign-blob writes it) over the checksums file.
base64 -d <"$work/$sums.sig" >"$work/sig.der" 2>/dev/null || cp "$work/$sums.sig" "$work/sig.der"
if ! openssl dgst -sha256 -verify "$key" -signature "$work/sig.der" "$work/$sums" >/dev/null; then
  echo "::error title=tollgate setup::the signature of $sums does not verify with the release key"
  exit 1
fi
want=$(awk -v f="$archive" '$2 == f || $2 == "*"f {print $1}' "$work/$sums")
if [ -z "$want" ]; then
  echo "::error title=tollgate setup::$sums has no entry for $archive"
  exit 1
fi
got=$(sha256sum "$work/$archive" | awk '{print $1}')
if [ "$got" != "$want" ]; then
  echo "::error title=tollgate setup::$archive has SHA-256 $got, the signed checksums say $want"
  exit 1
fi
mkdir -p "$INSTALL_DIR"
tar -xzf "$work/$archive" -C "$INSTALL_DIR" tollgate
chmod 0755 "$INSTALL_DIR/tollgate"
"$INSTALL_DIR/tollgate" version
echo "$INSTALL_DIR" >>"$path_file"
echo "path=$INSTALL_DIR/tollgate" >>"$out"
echo "version=$VERSION" >>"$out"
