package verifier

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Sentinel errors. Errors returned for a signature wrap one of them.
var (
	// ErrDenied is wrapped by every error that means the evidence was examined
	// and found wanting: the image must not be trusted.
	ErrDenied = errors.New("denied")
	// ErrNoSignatures: the image has no signatures at all.
	ErrNoSignatures = errors.New("no signatures found")
	// ErrNoAttestations: the image has no attestations at all.
	ErrNoAttestations = errors.New("no attestations found")
	// ErrInvalidSignature: the signature does not verify with any trusted key.
	ErrInvalidSignature = errors.New("signature does not verify with any trusted key")
	// ErrDigestMismatch: the signature verifies, but for another image digest.
	ErrDigestMismatch = errors.New("signature is for another digest")
	// ErrMissingAnnotation: a required annotation is absent or differs.
	ErrMissingAnnotation = errors.New("required annotation not satisfied")
	// ErrNotASignature: a valid bundle that is an attestation, not a signature.
	ErrNotASignature = errors.New("bundle is an attestation, not a signature")
)

// DigestMismatchError says which digest a signature was made for.
type DigestMismatchError struct {
	Want, Got v1.Hash
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("signature is for digest %s, not %s", e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrDigestMismatch) hold.
func (e *DigestMismatchError) Unwrap() error { return ErrDigestMismatch }

// AnnotationError says which required annotation was not satisfied.
type AnnotationError struct {
	Key, Want, Got string
	Present        bool
}

func (e *AnnotationError) Error() string {
	if !e.Present {
		return fmt.Sprintf("required annotation %s=%s is missing", e.Key, e.Want)
	}
	return fmt.Sprintf("annotation %s is %q, want %q", e.Key, e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrMissingAnnotation) hold.
func (e *AnnotationError) Unwrap() error { return ErrMissingAnnotation }

// DeniedError is returned by Verify when no signature satisfies the policy.
// It carries, for each signature examined, why it failed.
type DeniedError struct {
	Digest v1.Hash
	// What was looked for: "" for a signature, or "attestation of type T".
	What string
	// Reasons holds one error per signature examined; empty when there were
	// no signatures.
	Reasons []error
}

func (e *DeniedError) Error() string {
	what := e.What
	if what == "" {
		what = "signature"
	}
	if len(e.Reasons) == 0 {
		if e.What == "" {
			return fmt.Sprintf("%v for %s", ErrNoSignatures, e.Digest)
		}
		return fmt.Sprintf("no %s found for %s", what, e.Digest)
	}
	msgs := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		msgs[i] = r.Error()
	}
	return fmt.Sprintf("no valid %s for %s among %d examined: %s", what, e.Digest, len(e.Reasons), strings.Join(msgs, "; "))
}

// Unwrap returns ErrDenied, ErrNoSignatures (or ErrNoAttestations) when there
// was nothing to examine, and every reason, so errors.Is finds both the
// category and the cause.
func (e *DeniedError) Unwrap() []error {
	out := []error{ErrDenied}
	if len(e.Reasons) == 0 {
		if e.What == "" {
			out = append(out, ErrNoSignatures)
		} else {
			out = append(out, ErrNoAttestations)
		}
	}
	return append(out, e.Reasons...)
}
