package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/tollgate-dev/tollgate/evidence"
)

// remoteStore is one repository in a registry.
type remoteStore struct {
	c    *Client
	repo name.Repository
}

func (s *remoteStore) String() string { return s.repo.Name() }

func (s *remoteStore) digestRef(h v1.Hash) Reference {
	return Reference{remote: s.repo.Digest(h.String())}
}

func (s *remoteStore) readOpts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(s.c.puller)}
}

func (s *remoteStore) writeOpts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(s.c.pusher)}
}

func (s *remoteStore) ref(id string) (name.Reference, error) {
	if h, err := v1.NewHash(id); err == nil {
		return s.repo.Digest(h.String()), nil
	}
	t, err := name.NewTag(s.repo.Name()+":"+id, s.c.NameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("tag %q: %w", id, err)
	}
	return t, nil
}

func (s *remoteStore) resolve(ctx context.Context, r Reference) (v1.Descriptor, error) {
	desc, err := remote.Head(r.remote, s.readOpts(ctx)...)
	if err != nil {
		if !headAnswered(err) {
			return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", r, classify(err))
		}
		// Some registries answer HEAD without a digest; GET computes it.
		d, gerr := remote.Get(r.remote, s.readOpts(ctx)...)
		if gerr != nil {
			return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", r, classify(gerr))
		}
		desc = &d.Descriptor
	}
	if dr, ok := r.remote.(name.Digest); ok && desc.Digest.String() != dr.DigestStr() {
		return v1.Descriptor{}, fmt.Errorf("resolving %s: %w: registry answered with digest %s", r, ErrMalformed, desc.Digest)
	}
	return *desc, nil
}

func (s *remoteStore) manifest(ctx context.Context, id string, max int64) ([]byte, v1.Descriptor, error) {
	ref, err := s.ref(id)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	d, err := remote.Get(ref, s.readOpts(ctx)...)
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("fetching %s: %w", ref, classify(err))
	}
	if int64(len(d.Manifest)) > max {
		return nil, v1.Descriptor{}, &LimitError{What: "manifest " + ref.String() + " size", Limit: max, Got: int64(len(d.Manifest))}
	}
	return d.Manifest, d.Descriptor, nil
}

// imageAt returns the image a tag names, with one request: the manifest read
// is the one the image serves (at most max bytes); ErrNotFound when the tag
// does not exist.
func (s *remoteStore) imageAt(ctx context.Context, tag string, max int64) (v1.Image, error) {
	ref, err := s.ref(tag)
	if err != nil {
		return nil, err
	}
	d, err := remote.Get(ref, s.readOpts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, classify(err))
	}
	if int64(len(d.Manifest)) > max {
		return nil, &LimitError{What: "manifest " + ref.String() + " size", Limit: max, Got: int64(len(d.Manifest))}
	}
	if !d.MediaType.IsImage() {
		return nil, fmt.Errorf("%w: %s is a %q, not an image manifest", ErrMalformed, ref, d.MediaType)
	}
	img, err := d.Image()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", ref, classify(err))
	}
	return img, nil
}

// tagDigest returns the digest of the manifest a tag names, "" when the tag
// does not exist, with one HEAD (a GET for registries whose HEAD answers
// without a digest).
func (s *remoteStore) tagDigest(ctx context.Context, tag string) (string, error) {
	ref, err := s.ref(tag)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(ref, s.readOpts(ctx)...)
	switch {
	case err == nil:
		return desc.Digest.String(), nil
	case errors.Is(classify(err), ErrNotFound):
		return "", nil
	case !headAnswered(err):
		return "", classify(err)
	}
	d, err := remote.Get(ref, s.readOpts(ctx)...)
	if cerr := classify(err); errors.Is(cerr, ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", cerr
	}
	return d.Digest.String(), nil
}

func (s *remoteStore) blob(ctx context.Context, h v1.Hash, max int64) ([]byte, error) {
	l, err := remote.Layer(s.repo.Digest(h.String()), s.readOpts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching blob %s: %w", h, classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching blob %s: %w", h, classify(err))
	}
	defer rc.Close()
	b, err := readLimited(rc, max, "blob "+h.String()+" size")
	if err != nil {
		if errors.Is(err, ErrLimitExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("reading blob %s: %w", h, classify(err))
	}
	if err := checkDigest(b, h); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *remoteStore) referrers(ctx context.Context, h v1.Hash, max int) ([]v1.Descriptor, error) {
	host := s.repo.RegistryStr()
	release, err := s.c.registry.probe(ctx, host)
	if err != nil {
		return nil, err
	}
	var im *v1.IndexManifest
	switch supported, known := s.c.registry.referrersAPI(host); {
	case release != nil:
		// This call learns whether the registry has the referrers API: ask
		// the API and read the fallback tag at once, then keep the answer
		// that applies (one round trip instead of two in a row).
		defer release()
		var (
			apiIdx *v1.IndexManifest
			apiErr error
			fbRaw  []byte
			fbErr  error
			wg     sync.WaitGroup
		)
		wg.Add(2)
		go func() { defer wg.Done(); apiIdx, apiErr = s.referrersAPI(ctx, h) }()
		go func() {
			defer wg.Done()
			fbRaw, _, fbErr = s.manifest(ctx, fallbackTag(h), s.c.cfg.limits.MaxManifestBytes)
		}()
		wg.Wait()
		if supported, known := s.c.registry.referrersAPI(host); known && !supported {
			if im, err = fallbackIndex(fbRaw, fbErr, h); err != nil || im == nil {
				return nil, err
			}
		} else if apiErr != nil {
			return nil, apiErr
		} else {
			im = apiIdx
		}
	case known && !supported:
		raw, _, err := s.manifest(ctx, fallbackTag(h), s.c.cfg.limits.MaxManifestBytes)
		if im, err = fallbackIndex(raw, err, h); err != nil || im == nil {
			return nil, err
		}
	default:
		if im, err = s.referrersAPI(ctx, h); err != nil {
			return nil, err
		}
	}
	if len(im.Manifests) > max {
		return nil, &LimitError{What: "referrers of " + h.String(), Limit: int64(max), Got: int64(len(im.Manifests))}
	}
	return im.Manifests, nil
}

// referrersAPI asks the registry's referrers API, without falling back.
func (s *remoteStore) referrersAPI(ctx context.Context, h v1.Hash) (*v1.IndexManifest, error) {
	idx, err := remote.Referrers(s.repo.Digest(h.String()), remote.WithContext(ctx), remote.Reuse(s.c.apiPuller))
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", h, classify(err))
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", h, classify(err))
	}
	if int64(len(raw)) > s.c.cfg.limits.MaxManifestBytes {
		return nil, &LimitError{What: "referrers index size", Limit: s.c.cfg.limits.MaxManifestBytes, Got: int64(len(raw))}
	}
	im, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", h, err)
	}
	return im, nil
}

// fallbackIndex parses the referrers fallback tag; a missing tag means no
// referrers (nil, nil).
func fallbackIndex(raw []byte, err error, h v1.Hash) (*v1.IndexManifest, error) {
	switch {
	case errors.Is(err, ErrNotFound):
		return &v1.IndexManifest{}, nil
	case err != nil:
		return nil, err
	}
	im, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("referrers tag of %s: %w", h, err)
	}
	return im, nil
}

func (s *remoteStore) image(ctx context.Context, desc v1.Descriptor) (v1.Image, error) {
	img, err := remote.Image(s.repo.Digest(desc.Digest.String()), s.readOpts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("opening image %s@%s: %w", s.repo, desc.Digest, classify(err))
	}
	return img, nil
}

func (s *remoteStore) index(ctx context.Context, desc v1.Descriptor) (v1.ImageIndex, error) {
	ii, err := remote.Index(s.repo.Digest(desc.Digest.String()), s.readOpts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("opening index %s@%s: %w", s.repo, desc.Digest, classify(err))
	}
	return ii, nil
}

func (s *remoteStore) writeRef(id string, digest func() (v1.Hash, error)) (name.Reference, error) {
	if id != "" {
		return s.ref(id)
	}
	h, err := digest()
	if err != nil {
		return nil, err
	}
	return s.repo.Digest(h.String()), nil
}

func (s *remoteStore) writeImage(ctx context.Context, id string, img v1.Image) error {
	ref, err := s.writeRef(id, img.Digest)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, classify(err))
	}
	return nil
}

// putImage pushes a small image (a .sig or .att image): its blobs, then the
// manifest, without go-containerregistry's HEAD of the manifest first.
func (s *remoteStore) putImage(ctx context.Context, id string, img v1.Image) error {
	if _, err := s.pushBlobs(ctx, img); err != nil {
		return err
	}
	return s.putManifestOf(ctx, id, img)
}

// pushBlobs pushes the config and layers of img concurrently (each skipped
// when the registry has it) and returns their digests.
func (s *remoteStore) pushBlobs(ctx context.Context, img v1.Image) ([]v1.Hash, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return nil, err
	}
	all := append(layers, cfg)
	digests := make([]v1.Hash, len(all))
	g, gctx := errgroup.WithContext(ctx)
	for i, l := range all {
		g.Go(func() error {
			h, err := l.Digest()
			if err != nil {
				return err
			}
			digests[i] = h
			if err := remote.WriteLayer(s.repo, l, s.writeOpts(gctx)...); err != nil {
				return fmt.Errorf("pushing blob to %s: %w", s.repo, classify(err))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return digests, nil
}

// pushNew uploads blobs that are new to the repository (the payload layer
// and config of a signature image being written) concurrently, without the
// HEAD go-containerregistry sends first to skip blobs the registry has: for
// these it would only ever answer 404. Were one there after all (the same
// payload signed again), it is uploaded again, which registries accept.
func (s *remoteStore) pushNew(ctx context.Context, blobs []v1.Layer) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range blobs {
		g.Go(func() error {
			if err := remote.WriteLayer(s.repo, &newBlob{Layer: l}, s.writeOpts(gctx)...); err != nil {
				return fmt.Errorf("pushing blob to %s: %w", s.repo, classify(err))
			}
			return nil
		})
	}
	return g.Wait()
}

// newBlob presents a layer as go-containerregistry presents a streamed one:
// its digest is not known until its content has been read, which makes the
// upload skip the existence check. The content and digest are the layer's.
type newBlob struct {
	v1.Layer
	read atomic.Bool
}

func (b *newBlob) Digest() (v1.Hash, error) {
	if !b.read.Load() {
		return v1.Hash{}, stream.ErrNotComputed
	}
	return b.Layer.Digest()
}

func (b *newBlob) Compressed() (io.ReadCloser, error) {
	b.read.Store(true)
	return b.Layer.Compressed()
}

// putManifestOf pushes img's manifest, its blobs being in the registry.
func (s *remoteStore) putManifestOf(ctx context.Context, id string, img v1.Image) error {
	ref, err := s.writeRef(id, img.Digest)
	if err != nil {
		return err
	}
	if err := remote.Put(ref, img, s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, classify(err))
	}
	return nil
}

func (s *remoteStore) writeIndex(ctx context.Context, id string, ii v1.ImageIndex) error {
	ref, err := s.writeRef(id, ii.Digest)
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(ref, ii, s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, classify(err))
	}
	return nil
}

func (s *remoteStore) putManifest(ctx context.Context, id string, raw []byte, mt types.MediaType) error {
	ref, err := s.ref(id)
	if err != nil {
		return err
	}
	if err := remote.Put(ref, rawManifest{raw: raw, mt: mt}, s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("pushing manifest %s: %w", ref, classify(err))
	}
	return nil
}

func (s *remoteStore) writeBlob(ctx context.Context, b []byte) error {
	if err := remote.WriteLayer(s.repo, static.NewLayer(b, types.OCILayer), s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("pushing blob to %s: %w", s.repo, classify(err))
	}
	return nil
}

func (s *remoteStore) tag(ctx context.Context, tag string, desc v1.Descriptor) error {
	d, err := remote.Get(s.repo.Digest(desc.Digest.String()), s.readOpts(ctx)...)
	if err != nil {
		return fmt.Errorf("tagging %s: %w", desc.Digest, classify(err))
	}
	t, err := s.ref(tag)
	if err != nil {
		return err
	}
	if err := remote.Put(t, d, s.writeOpts(ctx)...); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", desc.Digest, t, classify(err))
	}
	return nil
}

func fallbackTag(h v1.Hash) string { return evidence.ReferrersTag(h) }
