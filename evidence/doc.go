// Package evidence is the registry-independent model of what a registry holds
// about an image: signatures (and, later, attestations) in the two formats
// found in the wild.
//
//   - The cosign tag scheme ("legacy"): an image tagged sha256-<hex>.sig whose
//     layers are simple-signing payloads, each carrying its signature, and
//     optionally a certificate, chain, Rekor bundle and RFC 3161 timestamp, in
//     layer annotations.
//   - The Sigstore bundle v0.3 ("bundle"): one OCI manifest per signature whose
//     single layer is a bundle holding a DSSE envelope of an in-toto statement,
//     attached to the image as an OCI 1.1 referrer (or listed in the
//     sha256-<hex> referrers tag where the registry has no referrers API).
//
// The package owns the names (media types, annotation keys, predicate types),
// builds the payloads a signer signs, and decodes untrusted payload bytes into
// typed values with size limits. It never performs I/O, never verifies a
// signature (see package verifier) and never talks to a registry (see package
// oci).
package evidence
