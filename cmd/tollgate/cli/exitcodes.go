package cli

import (
	"context"
	"errors"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

// Exit codes. docs/exit-codes.md lists them; a test keeps the two in step.
const (
	// ExitOK: everything asked was done; every image verified.
	ExitOK = 0
	// ExitDenied: verification ran and refused at least one image (no valid
	// signature, a signature for another digest, malformed or oversized
	// evidence), or the command failed in a way no other code describes. Do
	// not promote.
	ExitDenied = 1
	// ExitUsage: the command line or its inputs are wrong (unknown flag,
	// unparsable reference, unreadable or unsupported key, wrong password).
	ExitUsage = 2
	// ExitUnchecked: the registry could not be asked (unreachable, refused
	// credentials, timeout, image not found), or the command ran out of time
	// (--timeout) or was interrupted before it finished. Nothing is known
	// about the image.
	ExitUnchecked = 3
)

// usageError is a mistake in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// ExitCode maps an error returned by a command to its exit code. When several
// images failed for different reasons, a denial wins over a failure to check,
// so a gate never mistakes a refused image for a flaky registry.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case isDenied(err):
		return ExitDenied
	case isUsage(err):
		return ExitUsage
	case errors.Is(err, oci.ErrUnreachable), errors.Is(err, oci.ErrNotFound),
		// Timed out (--timeout) or interrupted before it could finish.
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ExitUnchecked
	}
	return ExitDenied
}

func isDenied(err error) bool {
	return errors.Is(err, verifier.ErrDenied) || errors.Is(err, oci.ErrLimitExceeded) ||
		errors.Is(err, oci.ErrMalformed) || errors.Is(err, evidence.ErrMalformed)
}

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) || flow.IsUsageError(err) ||
		errors.Is(err, signer.ErrUnsupportedKey) || errors.Is(err, signer.ErrWrongPassword) ||
		errors.Is(err, signer.ErrNoPassword)
}
