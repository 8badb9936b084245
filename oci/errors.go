package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinel errors.
var (
	// ErrNotFound: the image (tag or digest) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnreachable: the registry could not be asked (network, TLS, timeout,
	// authentication). Nothing can be concluded about the image.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrLimitExceeded: untrusted data is larger or more numerous than a limit.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrMalformed: a manifest or index read from the registry does not parse
	// or does not have the shape its role requires.
	ErrMalformed = errors.New("malformed registry data")
)

// LimitError says which limit was exceeded and by how much.
type LimitError struct {
	What  string
	Limit int64
	Got   int64
}

func (e *LimitError) Error() string {
	if e.Got < 0 {
		return fmt.Sprintf("%s exceeds the limit of %d", e.What, e.Limit)
	}
	return fmt.Sprintf("%s: %d exceeds the limit of %d", e.What, e.Got, e.Limit)
}

// Unwrap makes errors.Is(err, ErrLimitExceeded) hold.
func (e *LimitError) Unwrap() error { return ErrLimitExceeded }

// classify wraps a transport error from go-containerregistry into the
// sentinel it means, keeping the original in the chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrLimitExceeded) || errors.Is(err, ErrMalformed) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		if te.StatusCode >= 500 {
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode || d.Code == transport.BlobUnknownErrorCode {
				return fmt.Errorf("%w: %w", ErrNotFound, err)
			}
		}
		return err
	}
	// Anything that is not an HTTP answer is a failure to reach the registry:
	// DNS, refused connections, TLS, timeouts, cancelled contexts.
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// headAnswered reports whether a failed HEAD got an answer worth retrying as
// a GET: the registry was reached and did not say "not found", but the
// answer could not be used (go-containerregistry requires a
// Docker-Content-Digest header on HEAD, which some registries omit). A failure
// to reach the registry (an error from the network or a context) is not.
func headAnswered(err error) bool {
	if err == nil || errors.Is(classify(err), ErrNotFound) {
		return false
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode < 500 && te.StatusCode != http.StatusUnauthorized && te.StatusCode != http.StatusForbidden && te.StatusCode != http.StatusTooManyRequests
	}
	var ue *url.Error
	var ne net.Error
	return !errors.As(err, &ue) && !errors.As(err, &ne) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
