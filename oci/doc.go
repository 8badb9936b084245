// Package oci owns every byte that crosses a registry or an OCI image layout
// directory: resolving a tag to a digest, reading and writing signatures in
// the cosign tag scheme and as OCI 1.1 referrers (with the sha256-<hex> tag
// fallback for registries without the referrers API), and copying an image
// with everything attached to it.
//
// An image is named either as a registry reference (registry/repo:tag,
// registry/repo@sha256:...) or as an OCI image layout directory
// (oci:DIR, oci:DIR:TAG, oci:DIR@sha256:...), so that a developer can sign and
// verify before anything is pushed and push the result later with Copy.
//
// Every read of untrusted data is bounded by Limits; going over a limit is an
// error (ErrLimitExceeded), never a silent truncation. Requests are retried
// with backoff on 429 and 5xx responses, honouring Retry-After. Plain HTTP is
// used for localhost and loopback registries, and for other hosts only with
// WithInsecure.
//
// The package checks no signature (see package verifier) and prints nothing:
// diagnostics go to the logger given with WithLogger.
package oci
