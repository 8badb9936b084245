package flow

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/verifier"
)

// VerifyResult is what verification found for one image.
type VerifyResult struct {
	// Image is the reference as given.
	Image string
	// Digest is the verified digest reference (repo@sha256:...); it is set
	// once the image is resolved, verified or not.
	Digest string
	// Result lists every signature examined and why it passed or failed; nil
	// when the signatures could not be fetched or were not asked for.
	Result *verifier.Result
	// Attestations has one result per predicate type required, in the order
	// given.
	Attestations []AttestationResult
	// Err is nil when the image is verified. Otherwise it wraps
	// verifier.ErrDenied when the evidence was examined and refused, or an
	// oci error when it could not be checked.
	Err error
}

// AttestationResult is what verification found for one required predicate
// type.
type AttestationResult struct {
	PredicateType string
	Result        *verifier.Result
	Err           error
}

// Verified reports whether the image passed.
func (r *VerifyResult) Verified() bool {
	return r.Err == nil && (r.Result != nil || len(r.Attestations) > 0)
}

// Verify verifies each image: resolves it once, fetches its signatures in
// both formats, and has v check them for that digest against p. It returns
// one result per image, in order, and an error when any image failed.
func Verify(ctx context.Context, client *oci.Client, v *verifier.Verifier, images []string, opts ...Option) ([]VerifyResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if c.dryRun {
		return nil, fmt.Errorf("verify has no dry run")
	}
	if v == nil {
		return nil, fmt.Errorf("no verifier")
	}
	if c.noSigs && len(c.attTypes) == 0 {
		return nil, fmt.Errorf("nothing to verify: no signatures and no attestation types")
	}
	p := verifier.Policy{Annotations: c.annotations}
	results := make([]VerifyResult, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxWorkers)
	for i, img := range images {
		results[i].Image = img
		g.Go(func() error {
			verifyOne(gctx, client, v, p, c, &results[i])
			return nil
		})
	}
	_ = g.Wait()
	return results, joinFailures(results, func(r VerifyResult) (string, error) { return r.Image, r.Err })
}

func verifyOne(ctx context.Context, client *oci.Client, v *verifier.Verifier, p verifier.Policy, c *config, r *VerifyResult) {
	ref, err := oci.ParseReference(r.Image, client.NameOptions()...)
	if err != nil {
		r.Err = usageError{err}
		return
	}
	what := oci.What{Signatures: !c.noSigs, Attestations: len(c.attTypes) > 0}
	t, ev, err := resolveAndFetch(ctx, client, ref, what)
	if t != nil {
		r.Digest = t.DigestRef().String()
	}
	if err != nil {
		r.Err = err
		return
	}
	var errs []error
	if what.Signatures {
		var err error
		r.Result, err = v.Verify(t.Digest(), ev.Signatures, p)
		errs = append(errs, err)
	}
	for _, pt := range c.attTypes {
		res, err := v.VerifyAttestations(t.Digest(), ev.Attestations, verifier.AttestationPolicy{PredicateType: pt})
		r.Attestations = append(r.Attestations, AttestationResult{PredicateType: pt, Result: res, Err: err})
		errs = append(errs, err)
	}
	r.Err = errors.Join(errs...)
}

// resolveAndFetch resolves ref and fetches its evidence. For a digest
// reference both happen at once: the digest is known, and resolving only
// confirms the image exists.
func resolveAndFetch(ctx context.Context, client *oci.Client, ref oci.Reference, what oci.What) (*oci.Target, *oci.Evidence, error) {
	if !ref.IsDigest() {
		t, err := client.Resolve(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		ev, err := client.Evidence(ctx, t, what)
		return t, ev, err
	}
	dt, err := client.DigestTarget(ref)
	if err != nil {
		return nil, nil, err
	}
	var (
		t  *oci.Target
		ev *oci.Evidence
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { t, err = client.Resolve(gctx, ref); return })
	g.Go(func() (err error) { ev, err = client.Evidence(gctx, dt, what); return })
	if err := g.Wait(); err != nil {
		return dt, nil, err
	}
	return t, ev, nil
}
