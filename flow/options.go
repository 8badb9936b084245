package flow

import (
	"errors"
	"fmt"

	"github.com/tollgate-dev/tollgate/evidence"
)

// Option configures Sign, Verify and Copy. Options that do not apply to a
// workflow are rejected by it.
type Option func(*config) error

type config struct {
	maxWorkers  int
	format      evidence.Format
	annotations map[string]string
	dryRun      bool
	identity    string
	attTypes    []string
	noSigs      bool
}

func newConfig(opts []Option) (*config, error) {
	c := &config{maxWorkers: DefaultMaxWorkers, format: evidence.DefaultFormat}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// DefaultMaxWorkers is how many images are processed at once by default.
const DefaultMaxWorkers = 32

// WithMaxWorkers bounds how many images are processed at once.
func WithMaxWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("max workers must be at least 1, got %d", n)
		}
		c.maxWorkers = n
		return nil
	}
}

// WithFormat chooses the signature format Sign writes (default
// evidence.DefaultFormat).
func WithFormat(f evidence.Format) Option {
	return func(c *config) error {
		if _, err := evidence.ParseFormat(string(f)); err != nil {
			return err
		}
		c.format = f
		return nil
	}
}

// WithAnnotations sets the annotations Sign signs into each payload, or the
// annotations Verify requires of a valid signature.
func WithAnnotations(a map[string]string) Option {
	return func(c *config) error {
		for k := range a {
			if k == "" {
				return errors.New("annotation with an empty key")
			}
		}
		c.annotations = a
		return nil
	}
}

// WithDryRun makes Sign and Copy do all the work and write nothing.
func WithDryRun(dryRun bool) Option {
	return func(c *config) error { c.dryRun = dryRun; return nil }
}

// WithSignContainerIdentity sets the docker-reference Sign writes into legacy
// payloads instead of the image's repository (cosign's
// --sign-container-identity).
func WithSignContainerIdentity(repo string) Option {
	return func(c *config) error { c.identity = repo; return nil }
}

// WithAttestations makes Verify also require, for each predicate type URI,
// a valid attestation of exactly that type.
func WithAttestations(predicateTypes ...string) Option {
	return func(c *config) error {
		for _, t := range predicateTypes {
			if t == "" {
				return errors.New("empty predicate type")
			}
		}
		c.attTypes = append(c.attTypes, predicateTypes...)
		return nil
	}
}

// WithoutSignatures makes Verify check attestations only, as cosign
// verify-attestation does. It needs WithAttestations.
func WithoutSignatures() Option {
	return func(c *config) error { c.noSigs = true; return nil }
}
