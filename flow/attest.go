package flow

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/signer"
)

// StatementFunc builds the in-toto statement to attest for one resolved
// image; its subject must name the image's digest.
type StatementFunc func(t *oci.Target) ([]byte, error)

// AttestResult is what happened to one image.
type AttestResult struct {
	// Image is the reference as given.
	Image string `json:"image"`
	// Digest is the attested digest reference.
	Digest string `json:"digest,omitempty"`
	// PredicateType is the type of the statement attested.
	PredicateType string `json:"predicateType,omitempty"`
	// Written describes the attestation written (or planned in a dry run).
	Written *oci.Written `json:"written,omitempty"`
	// Warnings are things the user should know, such as attesting by tag.
	Warnings []string `json:"warnings,omitempty"`
	// Statement is the statement signed.
	Statement []byte `json:"-"`
	// Err is why the image was not attested.
	Err error `json:"-"`
}

// Attest attests each image: resolves it to a digest once, builds the
// statement for that digest with build, signs it as a DSSE envelope and
// writes it in the chosen format (a layer of cosign's sha256-<hex>.att image,
// or a Sigstore bundle referrer). It returns one result per image, in order,
// and an error when any image failed.
func Attest(ctx context.Context, client *oci.Client, s signer.Signer, images []string, build StatementFunc, opts ...Option) ([]AttestResult, error) {
	if s == nil {
		return nil, fmt.Errorf("no signer or no statement")
	}
	return AttestLoading(ctx, client, func() (signer.Signer, error) { return s, nil }, images, build, opts...)
}

// AttestLoading is Attest with a signer still to be loaded, as SignLoading:
// each image is resolved and its statement built while the key decrypts.
// When load fails, nothing is written and AttestLoading returns nil results
// and load's error.
func AttestLoading(ctx context.Context, client *oci.Client, load func() (signer.Signer, error), images []string, build StatementFunc, opts ...Option) ([]AttestResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if load == nil || build == nil {
		return nil, fmt.Errorf("no signer or no statement")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := startLoading(load, cancel)
	results := make([]AttestResult, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxWorkers)
	for i, img := range images {
		results[i].Image = img
		g.Go(func() error {
			attestOne(gctx, client, key.wait, build, c, &results[i])
			return nil
		})
	}
	_ = g.Wait()
	if err := key.err(); err != nil {
		return nil, err
	}
	return results, joinFailures(results, func(r AttestResult) (string, error) { return r.Image, r.Err })
}

func attestOne(ctx context.Context, client *oci.Client, signerFor func(context.Context) (signer.Signer, bool, error), build StatementFunc, c *config, r *AttestResult) {
	ref, err := oci.ParseReference(r.Image, client.NameOptions()...)
	if err != nil {
		r.Err = usageError{err}
		return
	}
	t, err := client.Resolve(ctx, ref)
	if err != nil {
		r.Err = err
		return
	}
	r.Digest = t.DigestRef().String()
	if t.ByTag() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s was named by tag; attesting the digest it resolved to, %s", r.Image, t.Digest()))
	}
	st, err := build(t)
	if err != nil {
		r.Err = usageError{err}
		return
	}
	parsed, err := evidence.ParseStatement(st)
	if err != nil {
		r.Err = fmt.Errorf("statement: %w", err)
		return
	}
	if !evidence.StatementNames(parsed, t.Digest()) {
		r.Err = fmt.Errorf("statement does not name %s as its subject", t.Digest())
		return
	}
	r.PredicateType, r.Statement = parsed.GetPredicateType(), st
	s, _, err := signerFor(ctx)
	if err != nil {
		r.Err = err
		return
	}
	switch c.format {
	case evidence.FormatLegacy:
		env, err := signer.DSSEEnvelope(ctx, s, evidence.InTotoPayloadType, st)
		if err != nil {
			r.Err = err
			return
		}
		cert, chain := certificateAnnotations(s)
		r.Written, r.Err = client.WriteAttestation(ctx, t, evidence.Signature{Format: evidence.FormatLegacy, Payload: env, PredicateType: r.PredicateType, Certificate: cert, Chain: chain}, c.dryRun)
	case evidence.FormatBundle:
		b, err := signer.DSSEBundle(ctx, s, evidence.InTotoPayloadType, st)
		if err != nil {
			r.Err = err
			return
		}
		r.Written, r.Err = client.WriteBundle(ctx, t, b, r.PredicateType, c.dryRun)
	default:
		r.Err = usageError{fmt.Errorf("unknown format %q", c.format)}
	}
}
