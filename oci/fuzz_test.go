package oci

import (
	"errors"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FuzzParseManifest: untrusted manifest bytes never panic; what parses has
// schema version 2.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}`))
	f.Add([]byte(`{"schemaVersion":1}`))
	f.Add([]byte(`{"schemaVersion":2,"layers":[{"digest":"sha256:zz"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("parseManifest error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if m.SchemaVersion != 2 {
			t.Fatalf("parseManifest accepted schema version %d", m.SchemaVersion)
		}
	})
}

// FuzzParseIndex: untrusted index bytes (referrers lists, fallback tags,
// index.json) never panic.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":null}`))
	f.Add([]byte(`{"schemaVersion":"2"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := parseIndex(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("parseIndex error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, d := range im.Manifests {
			_ = isBundleCandidate(d)
		}
	})
}

// FuzzRetryAfter: any Retry-After header value parses to a non-negative wait
// or is ignored.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := retryAfter(s, now); ok && d < 0 {
			t.Fatalf("retryAfter(%q) = %v, a negative wait", s, d)
		}
	})
}

// FuzzParseReference: references from the command line never panic, and
// what parses prints back to something that parses to the same thing.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"registry.example.com/app:v1", "localhost:5000/a/b@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "oci:./build:v1", "oci:/tmp/x@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "oci:", "oci::", "oci:a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		again, err := ParseReference(r.String())
		if err != nil {
			t.Fatalf("ParseReference(%q) = %q, which does not parse: %v", s, r.String(), err)
		}
		if again.String() != r.String() {
			t.Fatalf("ParseReference(%q).String() = %q, but that parses to %q", s, r.String(), again.String())
		}
		if r.IsDigest() {
			var zero v1.Hash
			if r.IsLayout() && r.layout.digest == zero {
				t.Fatalf("layout digest reference %q without a digest", s)
			}
		}
	})
}
