// Package verifier decides whether the signatures found for an image are
// valid for that exact image digest.
//
// Verification runs in two stages, as in sigstore-go: New builds a Verifier
// from trust material (public keys for now), and Verify checks evidence
// (signatures as package oci found them, untrusted) for a subject digest
// against a Policy. Verify is a pure function of its inputs: it never reads a
// registry, a file or the clock's side effects, so every decision can be
// tested offline on bytes from testdata.
//
// A signature is valid only when it verifies cryptographically against a
// trusted key and the signed payload names the subject digest: a signature
// made for another digest is never valid, whatever repository it was found
// in. The docker-reference a legacy payload names is reported but not
// required to match, as in cosign, because a verified image may have been
// copied to another repository.
//
// The package never imports registry or CLI code (see depcheck_test.go at the
// repository root).
package verifier
