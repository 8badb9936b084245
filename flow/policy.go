package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/policy"
)

// PolicyResult is what the policy decided for one image.
type PolicyResult struct {
	// Image is the reference as given.
	Image string
	// Digest is the digest reference the decision is about (repo@sha256:...),
	// empty when the image could not be resolved.
	Digest string
	// Target is the resolved image, for callers that act on the verified
	// digest (promote, rewrite).
	Target *oci.Target
	// Decision is the policy's verdict and its reasons; nil when the image
	// could not be checked.
	Decision *policy.Decision
	// Err is nil when the image is allowed. Otherwise it wraps
	// verifier.ErrDenied (the policy refused it) or an oci error (it could
	// not be checked).
	Err error
}

// DeniedError is a policy's refusal of one image.
type DeniedError struct {
	Image   string
	Reasons []string
}

func (e *DeniedError) Error() string {
	if len(e.Reasons) == 0 {
		return "denied by policy"
	}
	return "denied by policy: " + strings.Join(e.Reasons, "; ")
}

// Unwrap makes errors.Is(err, verifier.ErrDenied) hold.
func (e *DeniedError) Unwrap() error { return verifier.ErrDenied }

// VerifyPolicy evaluates each image against the policy set: images no policy
// covers are decided without fetching anything (and resolved only when the
// set allows them, so they can be pinned); the others are resolved once,
// their signatures and attestations fetched in one round trip each, and
// evaluated. Verdicts are cached by digest within the run.
func VerifyPolicy(ctx context.Context, client *oci.Client, set *policy.Set, images []string, opts ...Option) ([]PolicyResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if set == nil {
		return nil, errors.New("no policy")
	}
	run := set.NewRun(time.Now)
	results := make([]PolicyResult, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxWorkers)
	for i, img := range images {
		results[i].Image = img
		g.Go(func() error {
			policyOne(gctx, client, set, run, &results[i])
			return nil
		})
	}
	_ = g.Wait()
	return results, joinFailures(results, func(r PolicyResult) (string, error) { return r.Image, r.Err })
}

func policyOne(ctx context.Context, client *oci.Client, set *policy.Set, run *policy.Run, r *PolicyResult) {
	ref, err := oci.ParseReference(r.Image, client.NameOptions()...)
	if err != nil {
		r.Err = usageError{err}
		return
	}
	if d := set.Uncovered(r.Image); d != nil {
		r.Decision = d
		if !d.Allowed {
			// Denied whatever the registry holds: nothing to fetch.
			r.Err = &DeniedError{Image: r.Image, Reasons: d.Reasons}
			return
		}
		// Allowed: resolve it, so that it can be pinned like the others.
		t, err := client.Resolve(ctx, ref)
		if err != nil {
			r.Err = err
			return
		}
		r.Target, r.Digest = t, t.DigestRef().String()
		d.Digest = t.Digest().String()
		return
	}
	_, sigs, atts := set.Needs(r.Image)
	t, ev, err := resolveAndFetch(ctx, client, ref, oci.What{Signatures: sigs, Attestations: atts})
	if t != nil {
		r.Digest = t.DigestRef().String()
	}
	if err != nil {
		r.Err = err
		return
	}
	r.Target = t
	r.Decision = run.Evaluate(r.Image, t.Digest(), policy.Evidence{Signatures: ev.Signatures, Attestations: ev.Attestations})
	if !r.Decision.Allowed {
		r.Err = &DeniedError{Image: r.Image, Reasons: r.Decision.Reasons}
	}
}

// Promote verifies src against the policy set and, only if it is allowed,
// copies it with its signatures, attestations and referrers to dst by the
// verified digest, writing dst's tag last (see oci.Client.Copy). Nothing is
// written to dst when verification fails. With WithDryRun it verifies and
// plans the copy without writing.
func Promote(ctx context.Context, client *oci.Client, set *policy.Set, src, dst string, opts ...Option) (*PolicyResult, *oci.CopyResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, nil, err
	}
	dref, err := oci.ParseReference(dst, client.NameOptions()...)
	if err != nil {
		return nil, nil, usageError{err}
	}
	results, err := VerifyPolicy(ctx, client, set, []string{src}, WithMaxWorkers(1))
	if err != nil {
		if len(results) == 1 {
			return &results[0], nil, results[0].Err
		}
		return nil, nil, err
	}
	r := &results[0]
	if r.Target == nil {
		return r, nil, fmt.Errorf("%s: not resolved", src)
	}
	cr, err := client.Copy(ctx, r.Target, dref, c.dryRun)
	return r, cr, err
}
