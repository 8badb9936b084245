package flow

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/evidence"
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
	// when the signatures could not be fetched.
	Result *verifier.Result
	// Err is nil when the image is verified. Otherwise it wraps
	// verifier.ErrDenied when the evidence was examined and refused, or an
	// oci error when it could not be checked.
	Err error
}

// Verified reports whether the image passed.
func (r *VerifyResult) Verified() bool { return r.Err == nil && r.Result != nil }

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
	p := verifier.Policy{Annotations: c.annotations}
	results := make([]VerifyResult, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxWorkers)
	for i, img := range images {
		results[i].Image = img
		g.Go(func() error {
			verifyOne(gctx, client, v, p, &results[i])
			return nil
		})
	}
	_ = g.Wait()
	return results, joinFailures(results, func(r VerifyResult) (string, error) { return r.Image, r.Err })
}

func verifyOne(ctx context.Context, client *oci.Client, v *verifier.Verifier, p verifier.Policy, r *VerifyResult) {
	ref, err := oci.ParseReference(r.Image, client.NameOptions()...)
	if err != nil {
		r.Err = usageError{err}
		return
	}
	t, sigs, err := resolveAndFetch(ctx, client, ref)
	if t != nil {
		r.Digest = t.DigestRef().String()
	}
	if err != nil {
		r.Err = err
		return
	}
	r.Result, r.Err = v.Verify(t.Digest(), sigs, p)
}

// resolveAndFetch resolves ref and fetches its signatures. For a digest
// reference both happen at once: the digest is known, and resolving only
// confirms the image exists.
func resolveAndFetch(ctx context.Context, client *oci.Client, ref oci.Reference) (*oci.Target, []evidence.Signature, error) {
	if !ref.IsDigest() {
		t, err := client.Resolve(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		sigs, err := client.Signatures(ctx, t)
		return t, sigs, err
	}
	dt, err := client.DigestTarget(ref)
	if err != nil {
		return nil, nil, err
	}
	var (
		t    *oci.Target
		sigs []evidence.Signature
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { t, err = client.Resolve(gctx, ref); return })
	g.Go(func() (err error) { sigs, err = client.Signatures(gctx, dt); return })
	if err := g.Wait(); err != nil {
		return dt, nil, err
	}
	return t, sigs, nil
}
