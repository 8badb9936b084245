package oci

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Target is an image resolved to its digest. Everything done to an image
// after it is resolved uses the digest, never the tag again.
type Target struct {
	// Ref is the reference as given.
	Ref Reference
	// Descriptor describes the manifest the reference resolved to.
	Descriptor v1.Descriptor
	store      store
}

// Digest returns the resolved manifest digest.
func (t *Target) Digest() v1.Hash { return t.Descriptor.Digest }

// DigestRef returns the reference by digest: registry/repo@sha256:... or
// oci:DIR@sha256:....
func (t *Target) DigestRef() Reference { return t.store.digestRef(t.Descriptor.Digest) }

// ByTag reports whether the image was named by tag rather than digest.
func (t *Target) ByTag() bool { return !t.Ref.IsDigest() }

// storeFor returns the store a reference lives in.
func (c *Client) storeFor(r Reference, create bool) (store, error) {
	switch {
	case r.layout != nil:
		return c.openLayout(r.layout.dir, create)
	case r.remote != nil:
		return &remoteStore{c: c, repo: r.remote.Context()}, nil
	}
	return nil, fmt.Errorf("empty image reference")
}

// Resolve resolves a reference to the digest of the manifest it names, with
// one request for a registry.
func (c *Client) Resolve(ctx context.Context, r Reference) (*Target, error) {
	s, err := c.storeFor(r, false)
	if err != nil {
		return nil, err
	}
	desc, err := s.resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	return &Target{Ref: r, Descriptor: desc, store: s}, nil
}

// DigestTarget returns the target a digest reference names without asking the
// registry, so that listing its signatures can start while Resolve confirms
// the image exists. Its Descriptor holds only the digest.
func (c *Client) DigestTarget(r Reference) (*Target, error) {
	if !r.IsDigest() {
		return nil, fmt.Errorf("%s is not a digest reference", r)
	}
	s, err := c.storeFor(r, false)
	if err != nil {
		return nil, err
	}
	var h v1.Hash
	if r.layout != nil {
		h = r.layout.digest
	} else if h, err = v1.NewHash(r.remote.Identifier()); err != nil {
		return nil, err
	}
	return &Target{Ref: r, Descriptor: v1.Descriptor{Digest: h}, store: s}, nil
}
