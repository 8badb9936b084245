package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// writeLayout writes a random image tagged tag into a new OCI layout in dir.
func writeLayout(t *testing.T, dir, tag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestLocalDryRunThenPush: a developer signs an image in an OCI layout before
// anything is pushed, verifies it locally, pushes it with its signatures, and
// cosign v2 and v3 verify it in the registry.
func TestLocalDryRunThenPush(t *testing.T) {
	w := newWorld(t)
	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) {
			dir := filepath.Join(w.env.Dir, "layout-"+format)
			digest := writeLayout(t, dir, "v1")
			local := "oci:" + dir + ":v1"

			// Unsigned: refused locally.
			wantCode(t, w.tg("verify", "--key", "cosign.pub", local), 1, "no signatures found")

			// A dry run changes nothing in the layout.
			before := snapshot(t, dir)
			r := w.tg("sign", "--key", "cosign.key", "--format", format, "--dry-run", local)
			wantCode(t, r, 0)
			if !strings.Contains(r.Stdout, "would push "+format+" signature") {
				t.Errorf("dry run output does not say what it would push:\n%s", r)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("dry run changed the layout:\nbefore %s\nafter  %s", before, after)
			}

			r = w.tg("sign", "--key", "cosign.key", "--format", format, local)
			wantCode(t, r, 0)
			wantDigestRef := "oci:" + dir + "@" + digest
			if got := strings.TrimSpace(r.Stdout); got != wantDigestRef {
				t.Errorf("sign printed %q, want %q", got, wantDigestRef)
			}
			r = w.tg("verify", "--key", "cosign.pub", local)
			wantCode(t, r, 0)
			if got := strings.TrimSpace(r.Stdout); got != wantDigestRef {
				t.Errorf("verify printed %q, want %q", got, wantDigestRef)
			}
			wantCode(t, w.tg("verify", "--key", "other.pub", local), 1)

			// Push it with its signatures; the tag is written last.
			dst := w.reg.Addr + "/local-" + format + "/app:v1"
			wantCode(t, w.tg("load", "--dir", dir, dst), 0)
			remoteDigest := w.reg.Addr + "/local-" + format + "/app@" + digest
			wantCode(t, w.tg("verify", "--key", "cosign.pub", dst), 0)
			for _, major := range []int{2, 3} {
				if r := w.cosignVerify(major, "cosign.pub", remoteDigest); r.Code != 0 {
					t.Errorf("cosign v%d verify after load failed:\n%s", major, r)
				}
			}
			// Loading again changes nothing.
			tags := harness.Tags(t, w.reg.Addr+"/local-"+format+"/app")
			r = w.tg("load", "--dir", dir, dst)
			wantCode(t, r, 0)
			if !strings.Contains(r.Stderr, "0 signatures, 0 attestations, 0 referrers added") {
				t.Errorf("second load added something:\n%s", r)
			}
			if again := harness.Tags(t, w.reg.Addr+"/local-"+format+"/app"); strings.Join(again, ",") != strings.Join(tags, ",") {
				t.Errorf("tags after second load = %v, want %v", again, tags)
			}
		})
	}
}

// TestSignDryRunRegistry: a dry run against a registry pushes nothing.
func TestSignDryRunRegistry(t *testing.T) {
	w := newWorld(t)
	for _, format := range []string{"legacy", "bundle"} {
		repo := "dry-" + format + "/app"
		_, digest := w.image(repo)
		before := harness.Tags(t, w.reg.Addr+"/"+repo)
		r := w.tg("sign", "--key", "cosign.key", "--format", format, "--dry-run", "--output", "json", digest)
		wantCode(t, r, 0)
		if !strings.Contains(r.Stdout, `"dryRun": true`) {
			t.Errorf("dry run JSON does not say it is a dry run:\n%s", r)
		}
		if after := harness.Tags(t, w.reg.Addr+"/"+repo); strings.Join(after, ",") != strings.Join(before, ",") {
			t.Errorf("%s dry run pushed tags: before %v, after %v", format, before, after)
		}
		wantCode(t, w.tg("verify", "--key", "cosign.pub", digest), 1, "no signatures found")
	}
}

// TestMultiPlatformIndex: an index is signed by its digest and verified by
// cosign; copying it carries every platform.
func TestMultiPlatformIndex(t *testing.T) {
	w := newWorld(t)
	tag := w.reg.Addr + "/multi/app:v1"
	d := harness.PushIndex(t, tag, 3)
	wantCode(t, w.tg("sign", "--key", "cosign.key", tag), 0)
	for _, major := range []int{2, 3} {
		if r := w.cosignVerify(major, "cosign.pub", d.String()); r.Code != 0 {
			t.Errorf("cosign v%d verify of a signed index failed:\n%s", major, r)
		}
	}
	dst := w.reg.Addr + "/multi-copy/app:v2"
	wantCode(t, w.tg("copy", tag, dst), 0)
	wantCode(t, w.tg("verify", "--key", "cosign.pub", dst), 0)
	idx := harness.Index(t, dst)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if _, err := idx.Image(m.Digest); err != nil {
			t.Errorf("platform manifest %s was not copied: %v", m.Digest, err)
		}
	}
}

// snapshot summarises a directory tree (names and sizes) to compare it.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel)
		b.WriteString(":")
		b.WriteString(itoa(int(fi.Size())))
		b.WriteString(" ")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
