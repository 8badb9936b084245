package oci

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayoutPrefix starts an image reference that names an OCI image layout
// directory.
const LayoutPrefix = "oci:"

// Reference names an image in a registry or in an OCI image layout directory.
// The zero value is not valid; use ParseReference.
type Reference struct {
	remote name.Reference
	layout *layoutRef
}

type layoutRef struct {
	dir    string
	tag    string  // "" when not given
	digest v1.Hash // zero when not given
}

// ParseReference parses a registry reference (registry/repo[:tag][@digest],
// with go-containerregistry's defaults) or an OCI layout reference
// (oci:DIR, oci:DIR:TAG or oci:DIR@sha256:HEX).
func ParseReference(s string, opts ...name.Option) (Reference, error) {
	if strings.HasPrefix(s, LayoutPrefix) {
		l, err := parseLayoutRef(strings.TrimPrefix(s, LayoutPrefix))
		if err != nil {
			return Reference{}, fmt.Errorf("parsing image reference %q: %w", s, err)
		}
		return Reference{layout: l}, nil
	}
	r, err := name.ParseReference(s, opts...)
	if err != nil {
		return Reference{}, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	// The name in full (with the default registry and library/ added) is
	// what is printed and passed on; it must itself be a reference, which a
	// repository near the length limit is not once library/ is added.
	if _, err := name.ParseReference(r.Name(), opts...); err != nil {
		return Reference{}, fmt.Errorf("parsing image reference %q: in full it is %q, which is not valid: %w", s, r.Name(), err)
	}
	return Reference{remote: r}, nil
}

func parseLayoutRef(s string) (*layoutRef, error) {
	l := &layoutRef{}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		h, err := v1.NewHash(s[i+1:])
		if err != nil {
			return nil, fmt.Errorf("layout digest: %w", err)
		}
		l.digest, s = h, s[:i]
	} else if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i+1:], "/") && i > 0 {
		tag := s[i+1:]
		if _, err := name.NewTag("example.com/x:"+tag, name.StrictValidation); err != nil {
			return nil, fmt.Errorf("layout tag %q: %w", tag, err)
		}
		l.tag, s = tag, s[:i]
	}
	if s == "" {
		return nil, errors.New("layout directory is empty")
	}
	l.dir = filepath.Clean(s)
	return l, nil
}

// IsLayout reports whether r names an OCI image layout directory.
func (r Reference) IsLayout() bool { return r.layout != nil }

// IsDigest reports whether r names its image by digest.
func (r Reference) IsDigest() bool {
	if r.layout != nil {
		return r.layout.digest.Hex != ""
	}
	_, ok := r.remote.(name.Digest)
	return ok
}

// Remote returns the registry reference, or nil for a layout reference.
func (r Reference) Remote() name.Reference { return r.remote }

// LayoutDir returns the layout directory, or "" for a registry reference.
func (r Reference) LayoutDir() string {
	if r.layout == nil {
		return ""
	}
	return r.layout.dir
}

// Tag returns the tag the reference names, if any.
func (r Reference) Tag() string {
	if r.layout != nil {
		return r.layout.tag
	}
	if t, ok := r.remote.(name.Tag); ok {
		return t.TagStr()
	}
	return ""
}

// Repository returns the repository (registry/repo) or the layout reference
// without tag or digest (oci:DIR).
func (r Reference) Repository() string {
	if r.layout != nil {
		return LayoutPrefix + r.layout.dir
	}
	return r.remote.Context().Name()
}

// WithDigest returns the reference to the same repository or layout with
// digest h instead of a tag.
func (r Reference) WithDigest(h v1.Hash) Reference {
	if r.layout != nil {
		return Reference{layout: &layoutRef{dir: r.layout.dir, digest: h}}
	}
	return Reference{remote: r.remote.Context().Digest(h.String())}
}

// String returns the reference as ParseReference accepts it.
func (r Reference) String() string {
	switch {
	case r.layout != nil && r.layout.digest.Hex != "":
		return LayoutPrefix + r.layout.dir + "@" + r.layout.digest.String()
	case r.layout != nil && r.layout.tag != "":
		return LayoutPrefix + r.layout.dir + ":" + r.layout.tag
	case r.layout != nil && strings.Contains(filepath.Base(r.layout.dir), ":"):
		// "oci:a:b" would name directory a, tag b: a trailing slash keeps
		// the colon in the directory name, as it did when it was parsed.
		return LayoutPrefix + r.layout.dir + "/"
	case r.layout != nil:
		return LayoutPrefix + r.layout.dir
	case r.remote != nil:
		return r.remote.Name()
	}
	return ""
}
