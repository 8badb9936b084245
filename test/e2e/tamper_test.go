package e2e

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

func sigTag(d name.Digest) string {
	h, _ := v1.NewHash(d.DigestStr())
	return h.Algorithm + "-" + h.Hex
}

// moveSignature makes the signature stored for image from appear as a
// signature of image to: the .sig manifest is re-tagged for to (legacy), or
// the bundle is attached to to in a new referrer manifest (bundle). The signed
// payload still names from's digest, so every verifier must refuse it.
func moveSignature(t *testing.T, format, from, to string) {
	t.Helper()
	fd, err := name.NewDigest(from)
	if err != nil {
		t.Fatal(err)
	}
	td, err := name.NewDigest(to)
	if err != nil {
		t.Fatal(err)
	}
	switch format {
	case "legacy":
		d, err := remote.Get(fd.Context().Tag(sigTag(fd) + ".sig"))
		if err != nil {
			t.Fatal(err)
		}
		copyBlobs(t, fd.Context(), td.Context(), d.Manifest)
		if err := remote.Put(td.Context().Tag(sigTag(td)+".sig"), rawManifest{d.Manifest, d.MediaType}); err != nil {
			t.Fatal(err)
		}
	case "bundle":
		idx, err := remote.Referrers(fd)
		if err != nil {
			t.Fatal(err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Manifests) != 1 {
			t.Fatalf("%s has %d referrers, want 1", from, len(im.Manifests))
		}
		d, err := remote.Get(fd.Context().Digest(im.Manifests[0].Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		var m v1.Manifest
		if err := json.Unmarshal(d.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		target, err := remote.Head(td)
		if err != nil {
			t.Fatal(err)
		}
		m.Subject = &v1.Descriptor{MediaType: target.MediaType, Digest: target.Digest, Size: target.Size}
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		copyBlobs(t, fd.Context(), td.Context(), raw)
		h, _, _ := v1.SHA256(bytes.NewReader(raw))
		if err := remote.Put(td.Context().Digest(h.String()), rawManifest{raw, types.OCIManifestSchema1}); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown format %q", format)
	}
}

// copyBlobs copies the config and layers a manifest names from one
// repository to another, so that the manifest can be pushed there.
func copyBlobs(t *testing.T, from, to name.Repository, manifest []byte) {
	t.Helper()
	var m v1.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		l, err := remote.Layer(from.Digest(d.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.WriteLayer(to, l); err != nil {
			t.Fatalf("copying blob %s: %v", d.Digest, err)
		}
	}
}
