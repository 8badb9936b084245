package oci

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	cosignoci "github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"

	"github.com/tollgate-dev/tollgate/evidence"
)

// CopyResult describes a copy, done or planned.
type CopyResult struct {
	// Source and Destination are the digest references of the image.
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// Tag is the destination tag written last ("" when none).
	Tag string `json:"tag,omitempty"`
	// Signatures and Attestations count the cosign tag-scheme layers added
	// at the destination (layers already there are not counted).
	Signatures   int `json:"signatures"`
	Attestations int `json:"attestations"`
	// Referrers counts the referrers (bundles) added at the destination.
	Referrers int `json:"referrers"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dryRun,omitempty"`
}

// Copy copies the image src names, with its signatures, attestations and
// referrers, to dst, by digest: the image (an index with every platform
// manifest), then the sha256-<hex>.sig and .att images merged with any at the
// destination, then each referrer, and the destination tag last, so that a
// half-copied image is never reachable by tag. Running it again changes
// nothing. With dryRun it reads everything and writes nothing. src is an
// already resolved target (see Resolve), so that callers copy exactly the
// digest they verified.
func (c *Client) Copy(ctx context.Context, src *Target, dst Reference, dryRun bool) (*CopyResult, error) {
	ds, err := c.storeFor(dst, !dryRun)
	if err != nil {
		return nil, err
	}
	d := src.Digest()
	if dst.IsDigest() {
		dt, err := c.DigestTarget(dst)
		if err != nil {
			return nil, err
		}
		if dt.Digest() != d {
			return nil, fmt.Errorf("destination %s names digest %s, but the source is %s", dst, dt.Digest(), d)
		}
	}
	res := &CopyResult{Source: src.DigestRef().String(), Destination: ds.digestRef(d).String(), Tag: dst.Tag(), DryRun: dryRun}
	if res.Tag == "" && dst.IsLayout() && !dst.IsDigest() {
		res.Tag = src.Ref.Tag()
	}

	// 1. The image itself, by digest.
	if !dryRun {
		if err := c.copyManifest(ctx, src, ds); err != nil {
			return nil, err
		}
	}
	// 2. The cosign tag scheme, merged.
	for _, tag := range []string{evidence.SignatureTag(d), evidence.AttestationTag(d)} {
		n, err := c.mergeSignatureImage(ctx, src.store, ds, tag, dryRun)
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", tag, err)
		}
		if tag == evidence.SignatureTag(d) {
			res.Signatures = n
		} else {
			res.Attestations = n
		}
	}
	// 3. Referrers.
	refs, err := src.store.referrers(ctx, d, c.cfg.limits.MaxReferrers)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", res.Source, err)
	}
	have := map[v1.Hash]bool{}
	if len(refs) > 0 {
		existing, err := ds.referrers(ctx, d, c.cfg.limits.MaxReferrers)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("listing referrers at %s: %w", res.Destination, err)
		}
		for _, e := range existing {
			have[e.Digest] = true
		}
	}
	for _, r := range refs {
		if have[r.Digest] {
			continue
		}
		res.Referrers++
		if dryRun {
			continue
		}
		if err := c.copyReferrer(ctx, src.store, ds, r); err != nil {
			return nil, fmt.Errorf("copying referrer %s: %w", r.Digest, err)
		}
	}
	// 4. The tag, last.
	if res.Tag != "" && !dryRun {
		if err := ds.tag(ctx, res.Tag, src.Descriptor); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (c *Client) copyManifest(ctx context.Context, src *Target, ds store) error {
	desc := src.Descriptor
	if desc.MediaType.IsIndex() {
		ii, err := src.store.index(ctx, desc)
		if err != nil {
			return err
		}
		return ds.writeIndex(ctx, "", ii)
	}
	if !desc.MediaType.IsImage() {
		return fmt.Errorf("copying %s: unsupported media type %q", src.DigestRef(), desc.MediaType)
	}
	img, err := src.store.image(ctx, desc)
	if err != nil {
		return err
	}
	return ds.writeImage(ctx, "", img)
}

// mergeSignatureImage adds the layers of the source's tag to the
// destination's, keeping what the destination has. It returns how many
// layers were (or would be) added.
func (c *Client) mergeSignatureImage(ctx context.Context, ss, ds store, tag string, dryRun bool) (int, error) {
	_, sdesc, err := ss.manifest(ctx, tag, c.cfg.limits.MaxManifestBytes)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	srcImg, err := ss.image(ctx, sdesc)
	if err != nil {
		return 0, err
	}
	srcSigs, err := sigImage{srcImg}.Get()
	if err != nil {
		return 0, err
	}
	_, ddesc, err := ds.manifest(ctx, tag, c.cfg.limits.MaxManifestBytes)
	if errors.Is(err, ErrNotFound) {
		if !dryRun {
			if err := ds.writeImage(ctx, tag, srcImg); err != nil {
				return 0, err
			}
		}
		return len(srcSigs), nil
	}
	if err != nil {
		return 0, err
	}
	dstImg, err := ds.image(ctx, ddesc)
	if err != nil {
		return 0, err
	}
	dm, err := dstImg.Manifest()
	if err != nil {
		return 0, err
	}
	have := map[v1.Hash]bool{}
	for _, l := range dm.Layers {
		have[l.Digest] = true
	}
	var add []cosignoci.Signature
	for _, s := range srcSigs {
		h, err := s.Digest()
		if err != nil {
			return 0, err
		}
		if !have[h] {
			add = append(add, s)
			have[h] = true
		}
	}
	if len(add) == 0 || dryRun {
		return len(add), nil
	}
	merged, err := mutate.AppendSignatures(sigImage{dstImg}, false, add...)
	if err != nil {
		return 0, err
	}
	return len(add), ds.writeImage(ctx, tag, merged)
}

func (c *Client) copyReferrer(ctx context.Context, ss, ds store, r v1.Descriptor) error {
	raw, desc, err := ss.manifest(ctx, r.Digest.String(), c.cfg.limits.MaxManifestBytes)
	if err != nil {
		return err
	}
	m, err := parseManifest(raw)
	if err != nil {
		return err
	}
	for _, b := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		blob, err := ss.blob(ctx, b.Digest, c.cfg.limits.MaxPayloadBytes)
		if err != nil {
			return err
		}
		if err := ds.writeBlob(ctx, blob); err != nil {
			return err
		}
	}
	return ds.putManifest(ctx, r.Digest.String(), raw, desc.MediaType)
}
