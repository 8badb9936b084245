#!/usr/bin/env bash
# tollgate's main job, end to end, on this machine alone: a registry on
# 127.0.0.1, a sample image pushed, signed, verified, and an unsigned image
# refused, and SLSA provenance attached and required. Everything lives in a temporary directory that is removed at the
# end; the registry is stopped whatever happens.
#
#   scripts/demo.sh [path/to/tollgate]     (make demo builds it first)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tollgate=${1:-$root/bin/tollgate}
[ -x "$tollgate" ] || { echo "demo: $tollgate not found; run 'make demo'" >&2; exit 1; }

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" >&2; "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-demo.XXXXXX")
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bold "Building the registry server (distribution v3, once per machine) and a sample-image tool"
registry_bin=$("$root/scripts/tools.sh" path registry)
(cd "$root" && go build -o "$work/mkimage" ./test/cmd/mkimage)

# Start the registry on a free port of 127.0.0.1, below Linux's ephemeral
# range; try another port if the one chosen is taken.
start_registry() {
  local p=$1
  cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry-data
http:
  addr: 127.0.0.1:$p
YAML
  OTEL_TRACES_EXPORTER=none "$registry_bin" serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 200); do
    if ! kill -0 "$registry_pid" 2>/dev/null; then registry_pid=; return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}
port=
for _ in $(seq 1 20); do
  p=$(( 20000 + RANDOM % 12000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
  if start_registry "$p"; then port=$p; break; fi
done
[ -n "$port" ] || { cat "$work/registry.log" 2>/dev/null; echo "demo: the registry did not start" >&2; exit 1; }
reg=127.0.0.1:$port
bold "Started the registry on $reg"

cd "$work"
export HOME=$work DOCKER_CONFIG=$work/.docker
export COSIGN_PASSWORD=demo-password   # in CI this comes from a secret

bold "A key pair in cosign's format"
show "$tollgate" generate-key-pair

bold "Pushing a sample image, and a second one nobody will sign"
image=$("$work/mkimage" -content "hello from the demo" "$reg/demo/app:v1")
unsigned=$("$work/mkimage" -content "nobody signed me" "$reg/demo/unsigned:v1")
echo "pushed $image"
echo "pushed $unsigned"

bold "Signing: the tag is resolved to a digest once, and the digest is signed"
show "$tollgate" sign --key cosign.key "$reg/demo/app:v1"

bold "Attaching SLSA provenance (this machine is no CI: the provenance says it was built locally)"
show "$tollgate" attest --key cosign.key --provenance "$reg/demo/app:v1"

bold "Verifying in the next stage: a valid signature and SLSA provenance are required"
verified=$(show "$tollgate" verify --key cosign.pub --attestation-type slsaprovenance1 "$reg/demo/app:v1")
echo "$verified"
[ "$verified" = "$image" ] || { echo "demo: verify printed $verified, want $image" >&2; exit 1; }

bold "The verified provenance, decoded"
"$tollgate" verify-attestation --key cosign.pub --type slsaprovenance1 "$reg/demo/app:v1" | head -c 400; echo " ..."

bold "An unsigned image is refused (exit code 1: denied)"
set +e
show "$tollgate" verify --key cosign.pub --attestation-type slsaprovenance1 "$reg/demo/unsigned:v1"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "demo: the unsigned image was not refused (exit $code)" >&2; exit 1; }
echo "refused, exit code $code"

bold "Done: signed and verified $image; refused $unsigned. Stopping the registry."
