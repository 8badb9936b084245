// Package e2e holds tollgate's end-to-end tests: the tollgate binary against
// the real registry server and the real cosign CLIs v2 and v3 (see package
// harness for how they are built and started). `make test` runs them; on their
// own: go test ./test/e2e (peers are built on first use).
package e2e
