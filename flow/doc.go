// Package flow composes the other packages into what the commands do: sign
// many images, verify many images, copy an image with what is attached to it.
//
// It is the one place where registry I/O (package oci), signing (package
// signer) and verification (package verifier) meet, so that those three stay
// independent of each other and testable alone. Each image is resolved to a
// digest exactly once and everything after uses that digest; images are
// processed concurrently, bounded by WithMaxWorkers; one image's failure never
// stops the others, and every result says what happened to its image.
//
// flow prints nothing. The command line (cmd/tollgate/cli) turns flags into
// flow options and results into output.
package flow
