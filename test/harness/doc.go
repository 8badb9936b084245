// Package harness runs tollgate's end-to-end tests against real peers: the
// registry server of github.com/distribution/distribution/v3 and the cosign
// CLIs, built from their Go modules by scripts/tools.sh (once per machine,
// cached under .tools/ by version), each started on a free 127.0.0.1 port.
//
// Binaries are found through environment variables the Makefile sets
// (TOLLGATE_BIN, TOLLGATE_REGISTRY_BIN, TOLLGATE_COSIGN_V2_BIN,
// TOLLGATE_COSIGN_V3_BIN); without them the harness builds tollgate from the
// tree and asks scripts/tools.sh for the peers. Every command runs with HOME,
// DOCKER_CONFIG and the XDG directories in a temporary directory, so nothing
// on the machine leaks in.
package harness
