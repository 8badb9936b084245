package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	cosignoci "github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/signature"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/evidence"
)

// Signatures returns every signature stored for the target's digest, in both
// formats (see Evidence).
func (c *Client) Signatures(ctx context.Context, t *Target) ([]evidence.Signature, error) {
	ev, err := c.Evidence(ctx, t, What{Signatures: true})
	if err != nil {
		return nil, err
	}
	return ev.Signatures, nil
}

// Attestations returns every attestation stored for the target's digest, in
// both formats (see Evidence).
func (c *Client) Attestations(ctx context.Context, t *Target) ([]evidence.Signature, error) {
	ev, err := c.Evidence(ctx, t, What{Attestations: true})
	if err != nil {
		return nil, err
	}
	return ev.Attestations, nil
}

// What selects what Evidence fetches.
type What struct {
	Signatures, Attestations bool
}

// Evidence is what a registry holds about one image, unverified.
type Evidence struct {
	// Signatures: the layers of sha256-<hex>.sig and the bundles that may be
	// signatures.
	Signatures []evidence.Signature
	// Attestations: the layers of sha256-<hex>.att (DSSE envelopes) and the
	// bundles that may be attestations.
	Attestations []evidence.Signature
}

// Evidence fetches the signatures and attestations stored for the target's
// digest, in both formats. For a registry it makes one round trip to list
// (the .sig and .att manifests and the referrers, concurrently) and one to
// fetch the payloads; a bundle takes one more, for its manifest. A bundle
// whose annotations do not say what it holds is listed both as a signature
// and as an attestation: the verifier decides from its signed content.
// Nothing is fetched twice. Going over a limit is an error.
func (c *Client) Evidence(ctx context.Context, t *Target, what What) (*Evidence, error) {
	lim := c.cfg.limits
	d := t.Digest()
	blobs := newBlobCache(t.store, lim.MaxTotalBytes)
	// Each source is fetched as soon as it is listed: the payloads of the
	// .sig image do not wait for the referrers, nor the other way round.
	sem := make(chan struct{}, c.cfg.jobs)
	g, gctx := errgroup.WithContext(ctx)
	fetch := func(f func() error) {
		g.Go(func() error {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-sem }()
			return f()
		})
	}
	var (
		mu                   sync.Mutex
		sigs, atts           []indexed
		nSigLayers, nSigBndl int
		nAttLayers, nAttBndl int
	)
	keep := func(list *[]indexed, i indexed) {
		mu.Lock()
		*list = append(*list, i)
		mu.Unlock()
	}
	tagSource := func(tag string, max int64, limit int, count *int, list *[]indexed, order int) {
		g.Go(func() error {
			raw, desc, err := t.store.manifest(gctx, tag, lim.MaxManifestBytes)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("listing signatures of %s: %w", t.DigestRef(), err)
			}
			layers, err := tagLayers(t, raw, desc, tag)
			if err != nil {
				return err
			}
			if len(layers) > limit {
				return &LimitError{What: kindOf(tag) + " of " + t.DigestRef().String(), Limit: int64(limit), Got: int64(len(layers))}
			}
			mu.Lock()
			*count = len(layers)
			mu.Unlock()
			for i, l := range layers {
				fetch(func() error {
					src := fmt.Sprintf("%s:%s layer %d", t.store, tag, i)
					if l.Size > max {
						return &LimitError{What: src + " size", Limit: max, Got: l.Size}
					}
					payload := knownPayload(t, tag, l)
					if payload == nil {
						var err error
						if payload, err = blobs.get(gctx, l.Digest, max); err != nil {
							return fmt.Errorf("%s: %w", src, err)
						}
					}
					keep(list, indexed{order: order, i: i, s: evidence.Signature{
						Format:           evidence.FormatLegacy,
						Source:           src,
						Payload:          payload,
						Base64Signature:  l.Annotations[evidence.AnnotationSignature],
						PredicateType:    l.Annotations[evidence.AnnotationPredicateType],
						Certificate:      annotationBytes(l.Annotations, evidence.AnnotationCertificate),
						Chain:            annotationBytes(l.Annotations, evidence.AnnotationChain),
						RekorBundle:      annotationBytes(l.Annotations, evidence.AnnotationRekorBundle),
						RFC3161Timestamp: annotationBytes(l.Annotations, evidence.AnnotationRFC3161Timestamp),
					}})
					return nil
				})
			}
			return nil
		})
	}
	if what.Signatures {
		tagSource(evidence.SignatureTag(d), lim.MaxPayloadBytes, lim.MaxSignatures, &nSigLayers, &sigs, 0)
	}
	if what.Attestations {
		tagSource(evidence.AttestationTag(d), lim.MaxAttestationBytes, lim.MaxAttestations, &nAttLayers, &atts, 0)
	}
	if what.Signatures || what.Attestations {
		g.Go(func() error {
			referrers, err := t.store.referrers(gctx, d, lim.MaxReferrers)
			if err != nil {
				return fmt.Errorf("listing signatures of %s: %w", t.DigestRef(), err)
			}
			var sigBundles, attBundles []v1.Descriptor
			for _, r := range referrers {
				if !isBundleCandidate(r) {
					continue
				}
				pt, annotated := r.Annotations[evidence.AnnotationBundlePredicateType]
				if what.Signatures && (!annotated || pt == evidence.CosignSignPredicateType) {
					sigBundles = append(sigBundles, r)
				}
				if what.Attestations && (!annotated || pt != evidence.CosignSignPredicateType) {
					attBundles = append(attBundles, r)
				}
			}
			if len(sigBundles) > lim.MaxSignatures {
				return &LimitError{What: "signatures of " + t.DigestRef().String(), Limit: int64(lim.MaxSignatures), Got: int64(len(sigBundles))}
			}
			if len(attBundles) > lim.MaxAttestations {
				return &LimitError{What: "attestations of " + t.DigestRef().String(), Limit: int64(lim.MaxAttestations), Got: int64(len(attBundles))}
			}
			mu.Lock()
			nSigBndl, nAttBndl = len(sigBundles), len(attBundles)
			mu.Unlock()
			for _, set := range []struct {
				bundles []v1.Descriptor
				max     int64
				list    *[]indexed
			}{{sigBundles, lim.MaxPayloadBytes, &sigs}, {attBundles, lim.MaxAttestationBytes, &atts}} {
				for i, r := range set.bundles {
					fetch(func() error {
						src := t.store.digestRef(r.Digest).String()
						b, err := c.fetchBundle(gctx, t, r, blobs, set.max)
						if errors.Is(err, errNotBundle) {
							return nil
						}
						if err != nil {
							return fmt.Errorf("%s: %w", src, err)
						}
						keep(set.list, indexed{order: 1, i: i, s: evidence.Signature{Format: evidence.FormatBundle, Source: src, Bundle: b, PredicateType: r.Annotations[evidence.AnnotationBundlePredicateType]}})
						return nil
					})
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("fetching signatures of %s: %w", t.DigestRef(), err)
	}
	if n := nSigLayers + nSigBndl; n > lim.MaxSignatures {
		return nil, &LimitError{What: "signatures of " + t.DigestRef().String(), Limit: int64(lim.MaxSignatures), Got: int64(n)}
	}
	if n := nAttLayers + nAttBndl; n > lim.MaxAttestations {
		return nil, &LimitError{What: "attestations of " + t.DigestRef().String(), Limit: int64(lim.MaxAttestations), Got: int64(n)}
	}
	return &Evidence{Signatures: ordered(sigs), Attestations: ordered(atts)}, nil
}

// indexed is a piece of evidence with its place: legacy layers first, in
// layer order, then bundles in referrer order.
type indexed struct {
	order, i int
	s        evidence.Signature
}

func ordered(in []indexed) []evidence.Signature {
	sort.Slice(in, func(a, b int) bool {
		if in[a].order != in[b].order {
			return in[a].order < in[b].order
		}
		return in[a].i < in[b].i
	})
	out := make([]evidence.Signature, len(in))
	for i, x := range in {
		out[i] = x.s
	}
	return out
}

func kindOf(tag string) string {
	if strings.HasSuffix(tag, ".att") {
		return "attestations"
	}
	return "signatures"
}

// tagLayers returns the layers of a cosign tag-scheme image (.sig or .att).
func tagLayers(t *Target, raw []byte, desc v1.Descriptor, tag string) ([]v1.Descriptor, error) {
	if raw == nil {
		return nil, nil
	}
	if !desc.MediaType.IsImage() {
		return nil, fmt.Errorf("evidence of %s: %w: tag %s is a %q, not an image manifest", t.DigestRef(), ErrMalformed, tag, desc.MediaType)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("evidence of %s (tag %s): %w", t.DigestRef(), tag, err)
	}
	return m.Layers, nil
}

// isBundleCandidate reports whether a referrer may be a Sigstore bundle. Registries report a referrer's artifact type from the
// manifest's artifactType or from its config media type (the OCI empty type
// for bundles), so both are candidates; the manifest decides (see
// fetchBundle). The annotations are untrusted: they only avoid fetching
// attestations; what a bundle holds is decided when it is verified.
func isBundleCandidate(r v1.Descriptor) bool {
	return strings.HasPrefix(r.ArtifactType, "application/vnd.dev.sigstore.bundle") || r.ArtifactType == "" || r.ArtifactType == evidence.EmptyMediaType
}

// errNotBundle marks a referrer that turned out not to be a Sigstore bundle:
// some other artifact, irrelevant to signatures.
var errNotBundle = errors.New("referrer is not a Sigstore bundle")

// fetchBundle reads a bundle manifest and its single bundle layer.
func (c *Client) fetchBundle(ctx context.Context, t *Target, r v1.Descriptor, blobs *blobCache, max int64) ([]byte, error) {
	raw, _, err := t.store.manifest(ctx, r.Digest.String(), c.cfg.limits.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, err
	}
	if m.Subject == nil || m.Subject.Digest != t.Digest() {
		return nil, fmt.Errorf("%w: bundle manifest does not name %s as its subject", ErrMalformed, t.Digest())
	}
	isBundle := func(mt string) bool { return strings.HasPrefix(mt, "application/vnd.dev.sigstore.bundle") }
	if !isBundle(m.ArtifactType) && (len(m.Layers) == 0 || !isBundle(string(m.Layers[0].MediaType))) {
		return nil, errNotBundle
	}
	if len(m.Layers) != 1 || !isBundle(string(m.Layers[0].MediaType)) {
		return nil, fmt.Errorf("%w: bundle manifest must have exactly one bundle layer", ErrMalformed)
	}
	if m.Layers[0].Size > max {
		return nil, &LimitError{What: "bundle size", Limit: max, Got: m.Layers[0].Size}
	}
	return blobs.get(ctx, m.Layers[0].Digest, max)
}

// knownPayload returns a legacy signature layer's payload without fetching
// it when the layer is the payload signers write for this image by default:
// the simple-signing payload naming the image's own repository and digest,
// with no annotations. The layer is content-addressed, so the bytes built
// here are used only when their SHA-256 digest and size are the layer's:
// they are then exactly the bytes the registry holds, and the signature is
// checked over them as over fetched bytes. Any other layer (annotations,
// another docker-reference after a copy, an OCI layout) returns nil and is
// fetched. This saves one round trip and one request per verified image.
func knownPayload(t *Target, tag string, l v1.Descriptor) []byte {
	rs, ok := t.store.(*remoteStore)
	if !ok || tag != evidence.SignatureTag(t.Digest()) || l.MediaType != evidence.SimpleSigningMediaType || l.Digest.Algorithm != "sha256" {
		return nil
	}
	b, err := evidence.SimpleSigningPayload(rs.repo.Digest(t.Digest().String()), nil)
	if err != nil || int64(len(b)) != l.Size {
		return nil
	}
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil || h != l.Digest {
		return nil
	}
	return b
}

func annotationBytes(a map[string]string, k string) []byte {
	if v, ok := a[k]; ok && v != "" {
		return []byte(v)
	}
	return nil
}

// blobCache fetches each blob once, however many layers name it, and keeps
// the total read for one image within a budget.
type blobCache struct {
	s      store
	budget int64
	mu     sync.Mutex
	used   int64
	m      map[v1.Hash]*blobEntry
}

type blobEntry struct {
	once sync.Once
	b    []byte
	err  error
}

func newBlobCache(s store, budget int64) *blobCache {
	return &blobCache{s: s, budget: budget, m: map[v1.Hash]*blobEntry{}}
}

func (c *blobCache) get(ctx context.Context, h v1.Hash, max int64) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.m[h]
	if !ok {
		e = &blobEntry{}
		c.m[h] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.b, e.err = c.s.blob(ctx, h, max)
		if e.err != nil {
			return
		}
		c.mu.Lock()
		c.used += int64(len(e.b))
		over := c.used > c.budget
		used := c.used
		c.mu.Unlock()
		if over {
			e.b, e.err = nil, &LimitError{What: "evidence read for one image", Limit: c.budget, Got: used}
		}
	})
	return e.b, e.err
}

// Written describes what a write stored, or would store in a dry run.
type Written struct {
	// Format is the signature format written.
	Format evidence.Format `json:"format"`
	// Reference is where it lives: the .sig tag or the bundle manifest digest.
	Reference string `json:"reference"`
	// Manifest is the digest of the manifest written.
	Manifest string `json:"manifest"`
	// Layer is the digest of the payload or bundle layer.
	Layer string `json:"layer"`
	// Subject is the digest of the signed image.
	Subject string `json:"subject"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dryRun,omitempty"`
}

// WriteSignature appends a legacy (cosign tag scheme) signature to the
// target's sha256-<hex>.sig image, keeping the signatures already there.
// With dryRun it builds the new image and writes nothing.
func (c *Client) WriteSignature(ctx context.Context, t *Target, sig evidence.Signature, dryRun bool) (*Written, error) {
	if sig.Format != evidence.FormatLegacy {
		return nil, fmt.Errorf("WriteSignature takes a legacy signature, got %q", sig.Format)
	}
	p, err := c.PrepareSignature(ctx, t, sig.Payload, dryRun)
	if err != nil {
		return nil, err
	}
	return p.Commit(ctx, sig)
}

// PendingSignature is a legacy signature being written in two steps, so that
// registry work overlaps a signer that is still loading its key.
// PrepareSignature reads the .sig image the signature is appended to and
// pushes the blobs the new image adds, none of which depends on the signature
// bytes (those live in the manifest's layer annotations); Commit pushes the
// manifest. If Commit is never called nothing is tagged: the blobs pushed stay
// unreferenced, as after any interrupted push.
type PendingSignature struct {
	c       *Client
	t       *Target
	tag     string
	payload []byte
	dryRun  bool
	// base is the .sig image read, baseDigest its manifest digest ("" when
	// the tag did not exist).
	base       cosignoci.Signatures
	baseDigest string
	// pushed holds the blobs known to be in the registry: those pushed here
	// (mine), and those the manifest read references.
	pushed, mine map[v1.Hash]bool
}

// PrepareSignature starts writing a legacy signature over payload to the
// target's sha256-<hex>.sig image (see PendingSignature). With dryRun it
// reads what it must and writes nothing.
func (c *Client) PrepareSignature(ctx context.Context, t *Target, payload []byte, dryRun bool) (*PendingSignature, error) {
	p := &PendingSignature{c: c, t: t, tag: evidence.SignatureTag(t.Digest()), payload: payload, dryRun: dryRun, mine: map[v1.Hash]bool{}}
	if err := p.readBase(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// readBase reads the .sig image and, for a registry and unless in a dry run,
// pushes the blobs appending the payload to it adds: the payload layer,
// unless the image already has it, and the new config.
func (p *PendingSignature) readBase(ctx context.Context) error {
	base, found, err := p.c.tagBase(ctx, p.t, p.tag)
	if err != nil {
		return err
	}
	p.base, p.baseDigest = base, ""
	rs, isRemote := p.t.store.(*remoteStore)
	if p.dryRun || !isRemote {
		return nil
	}
	existing, err := base.Manifest()
	if err != nil {
		return fmt.Errorf("reading %s: %w", p.tag, err)
	}
	if found {
		d, err := base.Digest()
		if err != nil {
			return fmt.Errorf("reading %s: %w", p.tag, err)
		}
		p.baseDigest = d.String()
	}
	p.pushed = map[v1.Hash]bool{}
	for h := range p.mine {
		p.pushed[h] = true
	}
	for _, l := range existing.Layers {
		p.pushed[l.Digest] = true
	}
	// The image as it will be but for the signature annotation: same config,
	// same layers.
	layer, err := static.NewSignature(p.payload, "")
	if err != nil {
		return fmt.Errorf("building signature layer: %w", err)
	}
	draft, err := mutate.AppendSignatures(base, false, layer)
	if err != nil {
		return fmt.Errorf("appending to %s: %w", p.tag, err)
	}
	cfg, err := partial.ConfigLayer(draft)
	if err != nil {
		return fmt.Errorf("building %s: %w", p.tag, err)
	}
	var add []v1.Layer
	for _, l := range []v1.Layer{layer, cfg} {
		h, err := l.Digest()
		if err != nil {
			return err
		}
		if !p.pushed[h] {
			add = append(add, l)
		}
	}
	if err := rs.pushNew(ctx, add); err != nil {
		return err
	}
	for _, l := range add {
		h, _ := l.Digest()
		p.pushed[h], p.mine[h] = true, true
	}
	return nil
}

// Refresh checks, with one request, that the .sig image is still the one
// PrepareSignature read, and reads it again (pushing the new config) when
// another signer changed it meanwhile, so that Commit keeps its signature.
// Call it before Commit when time has passed since PrepareSignature (waiting
// for a key), as the window in which two signers of one image can overwrite
// each other is the time between reading the .sig image and pushing it.
func (p *PendingSignature) Refresh(ctx context.Context) error {
	rs, isRemote := p.t.store.(*remoteStore)
	if p.dryRun || !isRemote {
		return nil
	}
	current, err := rs.tagDigest(ctx, p.tag)
	if err != nil {
		return fmt.Errorf("reading %s: %w", p.tag, err)
	}
	if current == p.baseDigest {
		return nil
	}
	return p.readBase(ctx)
}

// Commit writes the signature: the manifest of the .sig image with sig's
// signature, certificate and chain as layer annotations (sig.Payload must be
// the payload prepared). Blobs PrepareSignature did not push are pushed first.
func (p *PendingSignature) Commit(ctx context.Context, sig evidence.Signature) (*Written, error) {
	if sig.Format != evidence.FormatLegacy {
		return nil, fmt.Errorf("Commit takes a legacy signature, got %q", sig.Format)
	}
	if !bytes.Equal(sig.Payload, p.payload) {
		return nil, errors.New("signature payload differs from the payload prepared")
	}
	ann := map[string]string{}
	for k, v := range map[string][]byte{
		evidence.AnnotationCertificate:      sig.Certificate,
		evidence.AnnotationChain:            sig.Chain,
		evidence.AnnotationRekorBundle:      sig.RekorBundle,
		evidence.AnnotationRFC3161Timestamp: sig.RFC3161Timestamp,
	} {
		if len(v) > 0 {
			ann[k] = string(v)
		}
	}
	layer, err := static.NewSignature(sig.Payload, sig.Base64Signature, static.WithAnnotations(ann))
	if err != nil {
		return nil, fmt.Errorf("building signature layer: %w", err)
	}
	return p.c.appendLayer(ctx, p.t, p.tag, p.base, layer, p.dryRun, p.pushed)
}

// tagBase reads the cosign tag-scheme image at tag, or an empty one when
// there is none (found false).
func (c *Client) tagBase(ctx context.Context, t *Target, tag string) (base cosignoci.Signatures, found bool, err error) {
	if rs, ok := t.store.(*remoteStore); ok {
		img, err := rs.imageAt(ctx, tag, c.cfg.limits.MaxManifestBytes)
		switch {
		case err == nil:
			return sigImage{img}, true, nil
		case errors.Is(err, ErrNotFound):
			return empty.Signatures(), false, nil
		default:
			return nil, false, fmt.Errorf("reading %s: %w", tag, err)
		}
	}
	_, desc, err := t.store.manifest(ctx, tag, c.cfg.limits.MaxManifestBytes)
	switch {
	case err == nil:
		img, err := t.store.image(ctx, desc)
		if err != nil {
			return nil, false, err
		}
		return sigImage{img}, true, nil
	case errors.Is(err, ErrNotFound):
		return empty.Signatures(), false, nil
	default:
		return nil, false, fmt.Errorf("reading %s: %w", tag, err)
	}
}

// appendToTag appends layer to the cosign tag-scheme image at tag, keeping
// what is there.
func (c *Client) appendToTag(ctx context.Context, t *Target, tag string, layer cosignoci.Signature, dryRun bool) (*Written, error) {
	base, _, err := c.tagBase(ctx, t, tag)
	if err != nil {
		return nil, err
	}
	return c.appendLayer(ctx, t, tag, base, layer, dryRun, nil)
}

// appendLayer writes base with layer appended at tag. Blobs in pushed are
// known to be in the registry already; when every blob is, only the manifest
// is pushed.
func (c *Client) appendLayer(ctx context.Context, t *Target, tag string, base cosignoci.Signatures, layer cosignoci.Signature, dryRun bool, pushed map[v1.Hash]bool) (*Written, error) {
	img, err := mutate.AppendSignatures(base, false, layer)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w", tag, err)
	}
	md, err := img.Digest()
	if err != nil {
		return nil, err
	}
	ld, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	w := &Written{Format: evidence.FormatLegacy, Reference: t.store.String() + ":" + tag, Manifest: md.String(), Layer: ld.String(), Subject: t.Digest().String(), DryRun: dryRun}
	if dryRun {
		return w, nil
	}
	if rs, ok := t.store.(*remoteStore); ok && len(pushed) > 0 && allPushed(img, pushed) {
		if err := rs.putManifestOf(ctx, tag, img); err != nil {
			return nil, err
		}
		return w, nil
	}
	if err := t.store.putImage(ctx, tag, img); err != nil {
		return nil, err
	}
	return w, nil
}

// allPushed reports whether every blob img references is in pushed.
func allPushed(img v1.Image, pushed map[v1.Hash]bool) bool {
	m, err := img.Manifest()
	if err != nil || !pushed[m.Config.Digest] {
		return false
	}
	for _, l := range m.Layers {
		if !pushed[l.Digest] {
			return false
		}
	}
	return true
}

// sigImage presents an existing .sig image as cosign's oci.Signatures.
type sigImage struct{ v1.Image }

func (s sigImage) Get() ([]cosignoci.Signature, error) {
	m, err := s.Manifest()
	if err != nil {
		return nil, err
	}
	out := make([]cosignoci.Signature, 0, len(m.Layers))
	for _, d := range m.Layers {
		l, err := s.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		out = append(out, signature.New(l, d))
	}
	return out, nil
}

// WriteBundle attaches a Sigstore bundle to the target as an OCI 1.1
// referrer: a manifest with an empty config, the bundle as its one layer and
// the target as its subject, annotated as cosign v3 annotates it. A registry
// without the referrers API gets the sha256-<hex> fallback tag updated. With
// dryRun it builds the manifest and writes nothing.
func (c *Client) WriteBundle(ctx context.Context, t *Target, bundle []byte, predicateType string, dryRun bool) (*Written, error) {
	emptyConfig := []byte("{}")
	ch, _, err := v1.SHA256(strings.NewReader(string(emptyConfig)))
	if err != nil {
		return nil, err
	}
	bh, bsize, err := v1.SHA256(strings.NewReader(string(bundle)))
	if err != nil {
		return nil, err
	}
	subject := t.Descriptor
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  evidence.BundleMediaType,
		Config:        v1.Descriptor{MediaType: evidence.EmptyMediaType, Digest: ch, Size: int64(len(emptyConfig))},
		Layers:        []v1.Descriptor{{MediaType: evidence.BundleMediaType, Digest: bh, Size: bsize}},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			evidence.AnnotationCreated:             time.Now().UTC().Format(time.RFC3339),
			evidence.AnnotationBundleContent:       "dsse-envelope",
			evidence.AnnotationBundlePredicateType: predicateType,
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	mh, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	w := &Written{Format: evidence.FormatBundle, Reference: t.store.digestRef(mh).String(), Manifest: mh.String(), Layer: bh.String(), Subject: t.Digest().String(), DryRun: dryRun}
	if dryRun {
		return w, nil
	}
	for _, b := range [][]byte{emptyConfig, bundle} {
		if err := t.store.writeBlob(ctx, b); err != nil {
			return nil, err
		}
	}
	if err := t.store.putManifest(ctx, mh.String(), raw, types.OCIManifestSchema1); err != nil {
		return nil, err
	}
	return w, nil
}

// WriteAttestation appends a legacy (cosign tag scheme) attestation, a DSSE
// envelope in att.Payload, to the target's sha256-<hex>.att image, keeping
// the attestations already there. att.PredicateType becomes the layer's
// predicateType annotation. With dryRun it builds the new image and writes
// nothing.
func (c *Client) WriteAttestation(ctx context.Context, t *Target, att evidence.Signature, dryRun bool) (*Written, error) {
	if att.PredicateType == "" {
		return nil, fmt.Errorf("attestation without a predicate type")
	}
	ann := map[string]string{evidence.AnnotationPredicateType: att.PredicateType}
	for k, v := range map[string][]byte{
		evidence.AnnotationCertificate:      att.Certificate,
		evidence.AnnotationChain:            att.Chain,
		evidence.AnnotationRekorBundle:      att.RekorBundle,
		evidence.AnnotationRFC3161Timestamp: att.RFC3161Timestamp,
	} {
		if len(v) > 0 {
			ann[k] = string(v)
		}
	}
	layer, err := static.NewAttestation(att.Payload, static.WithLayerMediaType(evidence.DSSEMediaType), static.WithAnnotations(ann))
	if err != nil {
		return nil, fmt.Errorf("building attestation layer: %w", err)
	}
	return c.appendToTag(ctx, t, evidence.AttestationTag(t.Digest()), layer, dryRun)
}
