package flow

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/signer"
)

// SignResult is what happened to one image.
type SignResult struct {
	// Image is the reference as given.
	Image string `json:"image"`
	// Digest is the signed digest reference (repo@sha256:...), empty when the
	// image could not be resolved.
	Digest string `json:"digest,omitempty"`
	// Written describes the signature written (or planned in a dry run).
	Written *oci.Written `json:"written,omitempty"`
	// Warnings are things the user should know, such as signing by tag.
	Warnings []string `json:"warnings,omitempty"`
	// Err is why the image was not signed.
	Err error `json:"-"`
}

// Sign signs each image: resolves it to a digest once, signs a payload that
// names that digest, and writes the signature in the chosen format. It returns
// one result per image, in order, and an error when any image failed.
func Sign(ctx context.Context, client *oci.Client, s signer.Signer, images []string, opts ...Option) ([]SignResult, error) {
	if s == nil {
		return nil, fmt.Errorf("no signer")
	}
	return SignLoading(ctx, client, func() (signer.Signer, error) { return s, nil }, images, opts...)
}

// SignLoading is Sign with a signer still to be loaded: load is called once,
// at once, in the background (decrypting a cosign key takes hundreds of
// milliseconds of scrypt), while each image is resolved and, for the legacy
// format, the blobs of its new .sig image are pushed; an image waits for the
// signer only to sign and push its manifest. When load fails, no signature is
// written and SignLoading returns nil results and load's error.
func SignLoading(ctx context.Context, client *oci.Client, load func() (signer.Signer, error), images []string, opts ...Option) ([]SignResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if load == nil {
		return nil, fmt.Errorf("no signer")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := startLoading(load, cancel)
	results := make([]SignResult, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxWorkers)
	for i, img := range images {
		results[i].Image = img
		g.Go(func() error {
			signOne(gctx, client, key.wait, c, &results[i])
			return nil
		})
	}
	_ = g.Wait()
	if err := key.err(); err != nil {
		return nil, err
	}
	return results, joinFailures(results, func(r SignResult) (string, error) { return r.Image, r.Err })
}

func signOne(ctx context.Context, client *oci.Client, signerFor func(context.Context) (signer.Signer, bool, error), c *config, r *SignResult) {
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
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s was named by tag; signing the digest it resolved to, %s (name images by digest so the signed artifact is the one you built)", r.Image, t.Digest()))
	}
	switch c.format {
	case evidence.FormatLegacy:
		identity, err := signedIdentity(t, c.identity)
		if err != nil {
			r.Err = usageError{err}
			return
		}
		payload, err := evidence.SimpleSigningPayload(identity.Digest(t.Digest().String()), c.annotations)
		if err != nil {
			r.Err = err
			return
		}
		pending, err := client.PrepareSignature(ctx, t, payload, c.dryRun)
		if err != nil {
			r.Err = err
			return
		}
		s, waited, err := signerFor(ctx)
		if err != nil {
			r.Err = err
			return
		}
		// Another signer may have appended to the .sig image meanwhile.
		if waited {
			if err := pending.Refresh(ctx); err != nil {
				r.Err = err
				return
			}
		}
		sig, err := s.Sign(ctx, payload)
		if err != nil {
			r.Err = err
			return
		}
		cert, chain := certificateAnnotations(s)
		r.Written, r.Err = pending.Commit(ctx, evidence.Signature{
			Format:          evidence.FormatLegacy,
			Payload:         payload,
			Base64Signature: base64.StdEncoding.EncodeToString(sig),
			Certificate:     cert,
			Chain:           chain,
		})
	case evidence.FormatBundle:
		st, err := evidence.SignStatement(t.Digest(), c.annotations)
		if err != nil {
			r.Err = err
			return
		}
		s, _, err := signerFor(ctx)
		if err != nil {
			r.Err = err
			return
		}
		b, err := signer.DSSEBundle(ctx, s, evidence.InTotoPayloadType, st)
		if err != nil {
			r.Err = err
			return
		}
		r.Written, r.Err = client.WriteBundle(ctx, t, b, evidence.CosignSignPredicateType, c.dryRun)
	default:
		r.Err = usageError{fmt.Errorf("unknown format %q", c.format)}
	}
}

// keyLoad is a signer loading in the background.
type keyLoad struct {
	ready   chan struct{}
	s       signer.Signer
	loadErr error
}

// startLoading calls load in the background; when it fails, cancel is called
// so that the images waiting for it stop.
func startLoading(load func() (signer.Signer, error), cancel context.CancelFunc) *keyLoad {
	k := &keyLoad{ready: make(chan struct{})}
	go func() {
		defer close(k.ready)
		k.s, k.loadErr = load()
		if k.loadErr == nil && k.s == nil {
			k.loadErr = fmt.Errorf("no signer")
		}
		if k.loadErr != nil {
			cancel()
		}
	}()
	return k
}

// wait returns the signer once loaded, and whether it had to wait for it.
func (k *keyLoad) wait(ctx context.Context) (signer.Signer, bool, error) {
	waited := false
	select {
	case <-k.ready:
	default:
		waited = true
		select {
		case <-k.ready:
		case <-ctx.Done():
			return nil, waited, fmt.Errorf("waiting for the signing key: %w", ctx.Err())
		}
	}
	if k.loadErr != nil {
		return nil, waited, k.loadErr
	}
	return k.s, waited, nil
}

// err waits for the load to end and returns its error.
func (k *keyLoad) err() error {
	<-k.ready
	return k.loadErr
}

// certificateAnnotations returns the PEM certificate and chain a legacy
// signature by s carries, as cosign writes them (nil for a bare key).
func certificateAnnotations(s signer.Signer) (cert, chain []byte) {
	cs, ok := s.(signer.CertificateSigner)
	if !ok {
		return nil, nil
	}
	certs := cs.CertificateChain()
	return signer.PEMChain(certs[:1]), signer.PEMChain(certs[1:])
}

// signedIdentity returns the repository a legacy payload names as its
// docker-reference: the one given, the image's repository, or, for an image
// in an OCI layout, oci-layout/<directory name>.
func signedIdentity(t *oci.Target, given string) (name.Repository, error) {
	if given != "" {
		return name.NewRepository(given)
	}
	if r := t.Ref.Remote(); r != nil {
		return r.Context(), nil
	}
	base := strings.ToLower(filepath.Base(t.Ref.LayoutDir()))
	base = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, base)
	base = strings.Trim(base, "-_.")
	if base == "" {
		base = "image"
	}
	return name.NewRepository("oci-layout/" + base)
}

// usageError marks an error in what the user asked for (a reference that does
// not parse), as opposed to a failure to do it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// IsUsageError reports whether err is an error in the user's input.
func IsUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// joinFailures joins the errors of the failed results, each prefixed with its
// image, keeping every cause in the chain for errors.Is.
func joinFailures[R any](results []R, get func(R) (string, error)) error {
	var errs []error
	for _, r := range results {
		if img, err := get(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", img, err))
		}
	}
	return errors.Join(errs...)
}
