#!/usr/bin/env bash
# The release pipeline's commands on a developer's machine, before anything is
# pushed: sign and attest an image in the OCI layout your build wrote, verify
# its signature and provenance there, then push it with its signatures. (The
# CI gate's policy also wants provenance from a CI builder, so an image built
# here is signed and checked locally, but promoted only from CI.)
#
#   examples/local/walkthrough.sh LAYOUT [REGISTRY/REPO:TAG]
#
# LAYOUT is an OCI image layout directory, as these write it:
#   docker buildx build --output type=oci,dest=build,tar=false .
#   ko build --push=false --oci-layout-path build ./cmd/app
#   skopeo copy docker://IMAGE oci:build:latest
# Keys: ./cosign.key and ./cosign.pub (tollgate generate-key-pair makes them;
# the password comes from $COSIGN_PASSWORD). Without a destination nothing
# leaves the machine. tollgate must be on PATH (or set $TOLLGATE).
set -euo pipefail

layout=${1:?usage: walkthrough.sh LAYOUT [REGISTRY/REPO:TAG]}
dest=${2:-}
tollgate=${TOLLGATE:-tollgate}

step() { printf '\n# %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

[ -f cosign.key ] || step "A key pair in cosign's format" "$tollgate" generate-key-pair

step "What signing would push, without writing anything" \
  "$tollgate" sign --key cosign.key --dry-run "oci:$layout"
step "Sign the image in the layout (the signature is stored in the layout)" \
  "$tollgate" sign --key cosign.key "oci:$layout"
step "Attach provenance; outside CI it says the image was built locally" \
  "$tollgate" attest --key cosign.key --provenance "oci:$layout"
step "Verify the signature and the provenance, by digest" \
  "$tollgate" verify --key cosign.pub --attestation-type slsaprovenance1 "oci:$layout"

if [ -z "$dest" ]; then
  printf '\n# No destination given: nothing was pushed.\n'
  exit 0
fi
step "What pushing would copy: the image, its signatures and attestations, tag last" \
  "$tollgate" load --dir "$layout" --dry-run "$dest"
step "Push them" \
  "$tollgate" load --dir "$layout" "$dest"
step "The registry copy verifies with the same key" \
  "$tollgate" verify --key cosign.pub --attestation-type slsaprovenance1 "$dest"
