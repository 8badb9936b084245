package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// store is one repository in a registry or one OCI layout directory: the
// operations signing, verifying and copying need, and nothing else.
type store interface {
	// String names the store in messages: registry/repo or oci:DIR.
	String() string
	// digestRef returns the reference of the manifest with digest h.
	digestRef(h v1.Hash) Reference
	// resolve returns the descriptor a reference names.
	resolve(ctx context.Context, r Reference) (v1.Descriptor, error)
	// manifest returns the raw manifest a tag or digest names, at most max
	// bytes; ErrNotFound when there is none.
	manifest(ctx context.Context, id string, max int64) ([]byte, v1.Descriptor, error)
	// blob returns the blob with digest h, at most max bytes, checked against h.
	blob(ctx context.Context, h v1.Hash, max int64) ([]byte, error)
	// referrers lists the manifests whose subject is h.
	referrers(ctx context.Context, h v1.Hash, max int) ([]v1.Descriptor, error)
	// image and index open what a descriptor names for copying.
	image(ctx context.Context, desc v1.Descriptor) (v1.Image, error)
	index(ctx context.Context, desc v1.Descriptor) (v1.ImageIndex, error)
	// writeImage pushes img with its blobs, tagged id (a tag or "" for digest only).
	writeImage(ctx context.Context, id string, img v1.Image) error
	// putImage pushes a small image built here (a .sig or .att image).
	putImage(ctx context.Context, id string, img v1.Image) error
	// writeIndex pushes ii with every child, tagged id (or "" for digest only).
	writeIndex(ctx context.Context, id string, ii v1.ImageIndex) error
	// putManifest stores a manifest whose blobs are already present; a
	// manifest with a subject is also recorded as a referrer.
	putManifest(ctx context.Context, id string, raw []byte, mt types.MediaType) error
	// writeBlob stores a blob.
	writeBlob(ctx context.Context, b []byte) error
	// tag points tag at an existing manifest.
	tag(ctx context.Context, tag string, desc v1.Descriptor) error
}

// readLimited reads r to the end, failing with a LimitError beyond max bytes.
func readLimited(r io.Reader, max int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &LimitError{What: what, Limit: max, Got: -1}
	}
	return b, nil
}

// checkDigest fails when b does not hash to h.
func checkDigest(b []byte, h v1.Hash) error {
	if h.Algorithm != "sha256" {
		return fmt.Errorf("%w: unsupported digest algorithm %q", ErrMalformed, h.Algorithm)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != h.Hex {
		return fmt.Errorf("%w: content does not match digest %s", ErrMalformed, h)
	}
	return nil
}

// rawManifest is a manifest pushed as bytes.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// parseIndex decodes an untrusted image index.
func parseIndex(raw []byte) (*v1.IndexManifest, error) {
	var im v1.IndexManifest
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&im); err != nil {
		return nil, fmt.Errorf("%w: index: %v", ErrMalformed, err)
	}
	if im.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: index schema version %d", ErrMalformed, im.SchemaVersion)
	}
	return &im, nil
}

// parseManifest decodes an untrusted image manifest.
func parseManifest(raw []byte) (*v1.Manifest, error) {
	var m v1.Manifest
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrMalformed, err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: manifest schema version %d", ErrMalformed, m.SchemaVersion)
	}
	return &m, nil
}
