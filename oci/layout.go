package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// refNameAnnotation tags a manifest in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// attachmentTag matches the tags tollgate and cosign give to what they attach
// to an image: sha256-<hex>, sha256-<hex>.sig, sha256-<hex>.att.
var attachmentTag = regexp.MustCompile(`^sha256-[a-f0-9]{64}(\.sig|\.att)?$`)

// isAttachmentType reports whether an artifact type is one of the things
// tollgate and cosign attach to images (bundles, signatures, attestations),
// as opposed to an image (whose artifact type go-containerregistry sets to its
// config media type).
func isAttachmentType(at string) bool {
	return strings.HasPrefix(at, "application/vnd.dev.sigstore.") || strings.HasPrefix(at, "application/vnd.dev.cosign.") ||
		strings.HasPrefix(at, "application/vnd.in-toto")
}

// layoutStore is an OCI image layout directory. Signatures live in it as they
// would in a registry: the cosign tag scheme as ref.name annotations, and
// referrers in the sha256-<hex> fallback index.
type layoutStore struct {
	c    *Client
	dir  string
	path layout.Path
	mu   *sync.Mutex // serialises index.json updates in this process
}

var layoutLocks sync.Map // dir -> *sync.Mutex

// openLayout opens the layout in dir; create makes an empty one when there is
// none.
func (c *Client) openLayout(dir string, create bool) (*layoutStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	mu, _ := layoutLocks.LoadOrStore(abs, &sync.Mutex{})
	s := &layoutStore{c: c, dir: dir, mu: mu.(*sync.Mutex)}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("opening OCI layout %s: %w", dir, err)
		}
		if !create {
			return nil, fmt.Errorf("opening OCI layout %s: %w: no index.json", dir, ErrNotFound)
		}
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			return nil, fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
		s.path = p
		return s, nil
	}
	s.path = layout.Path(dir)
	return s, nil
}

func (s *layoutStore) String() string { return LayoutPrefix + s.dir }

func (s *layoutStore) digestRef(h v1.Hash) Reference {
	return Reference{layout: &layoutRef{dir: s.dir, digest: h}}
}

func (s *layoutStore) indexManifest() (*v1.IndexManifest, error) {
	f, err := os.Open(filepath.Join(s.dir, "index.json"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s, err)
	}
	defer f.Close()
	raw, err := readLimited(f, s.c.cfg.limits.MaxManifestBytes, s.String()+" index.json size")
	if err != nil {
		return nil, err
	}
	im, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("%s index.json: %w", s, err)
	}
	return im, nil
}

// byTag returns the index.json descriptors a tag names: an exact ref.name, or
// a full reference ending in :tag as some tools write.
func byTag(im *v1.IndexManifest, tag string) []v1.Descriptor {
	var out []v1.Descriptor
	for _, d := range im.Manifests {
		rn := d.Annotations[refNameAnnotation]
		if rn == tag || (strings.HasSuffix(rn, ":"+tag) && !strings.Contains(rn[strings.LastIndex(rn, ":")+1:], "/")) {
			out = append(out, d)
		}
	}
	return out
}

func (s *layoutStore) resolve(ctx context.Context, r Reference) (v1.Descriptor, error) {
	im, err := s.indexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	l := r.layout
	switch {
	case l.digest.Hex != "":
		for _, d := range im.Manifests {
			if d.Digest == l.digest {
				return d, nil
			}
		}
		raw, err := s.blob(ctx, l.digest, s.c.cfg.limits.MaxManifestBytes)
		if err != nil {
			return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", r, err)
		}
		var m struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.MediaType == "" {
			return v1.Descriptor{}, fmt.Errorf("resolving %s: %w: blob is not a manifest", r, ErrMalformed)
		}
		return v1.Descriptor{MediaType: m.MediaType, Digest: l.digest, Size: int64(len(raw))}, nil
	case l.tag != "":
		ds := byTag(im, l.tag)
		if len(ds) == 0 {
			return v1.Descriptor{}, fmt.Errorf("resolving %s: %w: no manifest tagged %q", r, ErrNotFound, l.tag)
		}
		for _, d := range ds[1:] {
			if d.Digest != ds[0].Digest {
				return v1.Descriptor{}, fmt.Errorf("resolving %s: tag %q names %d different manifests", r, l.tag, len(ds))
			}
		}
		return ds[0], nil
	}
	var images []v1.Descriptor
	for _, d := range im.Manifests {
		if !attachmentTag.MatchString(d.Annotations[refNameAnnotation]) && !isAttachmentType(d.ArtifactType) {
			images = append(images, d)
		}
	}
	switch len(images) {
	case 1:
		return images[0], nil
	case 0:
		return v1.Descriptor{}, fmt.Errorf("resolving %s: %w: the layout holds no image", r, ErrNotFound)
	}
	return v1.Descriptor{}, fmt.Errorf("resolving %s: the layout holds %d images; name one as %s:TAG or %s@sha256:...", r, len(images), r, r)
}

func (s *layoutStore) manifest(ctx context.Context, id string, max int64) ([]byte, v1.Descriptor, error) {
	var desc v1.Descriptor
	if h, err := v1.NewHash(id); err == nil {
		desc = v1.Descriptor{Digest: h}
	} else {
		im, err := s.indexManifest()
		if err != nil {
			return nil, v1.Descriptor{}, err
		}
		var found bool
		for _, d := range im.Manifests {
			if d.Annotations[refNameAnnotation] == id {
				desc, found = d, true
			}
		}
		if !found {
			return nil, v1.Descriptor{}, fmt.Errorf("%s:%s: %w", s, id, ErrNotFound)
		}
	}
	raw, err := s.blob(ctx, desc.Digest, max)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	if desc.MediaType == "" {
		var m struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		_ = json.Unmarshal(raw, &m)
		desc.MediaType = m.MediaType
	}
	desc.Size = int64(len(raw))
	return raw, desc, nil
}

func (s *layoutStore) blob(_ context.Context, h v1.Hash, max int64) ([]byte, error) {
	rc, err := s.path.Blob(h)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s blob %s: %w", s, h, ErrNotFound)
		}
		return nil, fmt.Errorf("%s blob %s: %w", s, h, err)
	}
	defer rc.Close()
	b, err := readLimited(rc, max, "blob "+h.String()+" size")
	if err != nil {
		return nil, err
	}
	if err := checkDigest(b, h); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *layoutStore) referrers(ctx context.Context, h v1.Hash, max int) ([]v1.Descriptor, error) {
	raw, _, err := s.manifest(ctx, fallbackTag(h), s.c.cfg.limits.MaxManifestBytes)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	im, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", h, err)
	}
	if len(im.Manifests) > max {
		return nil, &LimitError{What: "referrers of " + h.String(), Limit: int64(max), Got: int64(len(im.Manifests))}
	}
	return im.Manifests, nil
}

func (s *layoutStore) image(_ context.Context, desc v1.Descriptor) (v1.Image, error) {
	img, err := s.path.Image(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("opening %s@%s: %w", s, desc.Digest, err)
	}
	return img, nil
}

func (s *layoutStore) index(_ context.Context, desc v1.Descriptor) (v1.ImageIndex, error) {
	root, err := s.path.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", s, err)
	}
	ii, err := root.ImageIndex(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("opening %s@%s: %w", s, desc.Digest, err)
	}
	return ii, nil
}

func tagMatcher(id string) match.Matcher {
	return func(d v1.Descriptor) bool { return d.Annotations[refNameAnnotation] == id }
}

func digestMatcher(h v1.Hash) match.Matcher {
	return func(d v1.Descriptor) bool { return d.Digest == h && d.Annotations[refNameAnnotation] == "" }
}

func (s *layoutStore) writeImage(_ context.Context, id string, img v1.Image) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := img.Digest()
	if err != nil {
		return err
	}
	m, opts := digestMatcher(h), []layout.Option(nil)
	if id != "" {
		m, opts = tagMatcher(id), []layout.Option{layout.WithAnnotations(map[string]string{refNameAnnotation: id})}
	}
	if err := s.path.ReplaceImage(img, m, opts...); err != nil {
		return fmt.Errorf("writing %s: %w", s, err)
	}
	return nil
}

func (s *layoutStore) putImage(ctx context.Context, id string, img v1.Image) error {
	return s.writeImage(ctx, id, img)
}

func (s *layoutStore) writeIndex(_ context.Context, id string, ii v1.ImageIndex) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := ii.Digest()
	if err != nil {
		return err
	}
	m, opts := digestMatcher(h), []layout.Option(nil)
	if id != "" {
		m, opts = tagMatcher(id), []layout.Option{layout.WithAnnotations(map[string]string{refNameAnnotation: id})}
	}
	if err := s.path.ReplaceIndex(ii, m, opts...); err != nil {
		return fmt.Errorf("writing %s: %w", s, err)
	}
	return nil
}

func (s *layoutStore) writeBlob(_ context.Context, b []byte) error {
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := s.path.WriteBlob(h, io.NopCloser(bytes.NewReader(b))); err != nil {
		return fmt.Errorf("writing blob to %s: %w", s, err)
	}
	return nil
}

func (s *layoutStore) putManifest(ctx context.Context, id string, raw []byte, mt types.MediaType) error {
	if err := s.writeBlob(ctx, raw); err != nil {
		return err
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	var mf struct {
		Subject      *v1.Descriptor    `json:"subject,omitempty"`
		ArtifactType string            `json:"artifactType,omitempty"`
		Annotations  map[string]string `json:"annotations,omitempty"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &mf); err != nil {
		return fmt.Errorf("%w: manifest: %v", ErrMalformed, err)
	}
	desc := v1.Descriptor{MediaType: mt, Digest: h, Size: size, ArtifactType: mf.ArtifactType}
	if desc.ArtifactType == "" && mf.Subject != nil {
		desc.ArtifactType = mf.Config.MediaType
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.setDescriptor(id, desc); err != nil {
		return err
	}
	if mf.Subject == nil {
		return nil
	}
	// Record the referrer in the subject's fallback index, as a registry
	// without the referrers API would.
	ref := desc
	ref.Annotations = mf.Annotations
	tag := fallbackTag(mf.Subject.Digest)
	im := &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	if old, _, err := s.manifest(ctx, tag, s.c.cfg.limits.MaxManifestBytes); err == nil {
		if im, err = parseIndex(old); err != nil {
			return fmt.Errorf("referrers tag %s: %w", tag, err)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	for _, d := range im.Manifests {
		if d.Digest == ref.Digest {
			return nil
		}
	}
	im.Manifests = append(im.Manifests, ref)
	sort.Slice(im.Manifests, func(i, j int) bool { return im.Manifests[i].Digest.String() < im.Manifests[j].Digest.String() })
	idxRaw, err := json.Marshal(im)
	if err != nil {
		return err
	}
	if err := s.writeBlob(ctx, idxRaw); err != nil {
		return err
	}
	ih, isz, err := v1.SHA256(bytes.NewReader(idxRaw))
	if err != nil {
		return err
	}
	return s.setDescriptor(tag, v1.Descriptor{MediaType: types.OCIImageIndex, Digest: ih, Size: isz})
}

func (s *layoutStore) tag(_ context.Context, tag string, desc v1.Descriptor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setDescriptor(tag, v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size, ArtifactType: desc.ArtifactType})
}

// setDescriptor records desc in index.json, under ref.name id when id is a
// tag, replacing what had that name. The caller holds s.mu.
func (s *layoutStore) setDescriptor(id string, desc v1.Descriptor) error {
	if _, err := v1.NewHash(id); err == nil || id == "" {
		im, err := s.indexManifest()
		if err != nil {
			return err
		}
		for _, d := range im.Manifests {
			if d.Digest == desc.Digest {
				return nil
			}
		}
		return s.path.AppendDescriptor(desc)
	}
	if err := s.path.RemoveDescriptors(tagMatcher(id)); err != nil {
		return fmt.Errorf("updating %s: %w", s, err)
	}
	desc.Annotations = map[string]string{refNameAnnotation: id}
	if err := s.path.AppendDescriptor(desc); err != nil {
		return fmt.Errorf("updating %s: %w", s, err)
	}
	return nil
}
