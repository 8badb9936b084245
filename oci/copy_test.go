package oci

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tollgate-dev/tollgate/evidence"
)

// writes records write requests in order.
type writes struct {
	mu  sync.Mutex
	log []string
}

func (w *writes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.mu.Lock()
			w.log = append(w.log, r.Method+" "+r.URL.Path)
			w.mu.Unlock()
		}
		h.ServeHTTP(rw, r)
	})
}

func pushIndex(t *testing.T, ref string) name.Digest {
	t.Helper()
	var adds []mutate.IndexAddendum
	for i := 0; i < 2; i++ {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: fmt.Sprint("a", i)}}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	h, _ := idx.Digest()
	return r.Context().Digest(h.String())
}

func TestCopy(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(fmt.Sprintf("referrersAPI=%v", referrers), func(t *testing.T) {
			src, _ := newRegistry(t, referrers)
			dstHost, _ := newRegistry(t, referrers)
			ctx := context.Background()
			d := pushIndex(t, src+"/app:v1")
			c := newClient(t)
			tgt, err := c.Resolve(ctx, mustRef(t, src+"/app:v1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.WriteSignature(ctx, tgt, legacySig("a"), false); err != nil {
				t.Fatal(err)
			}
			if _, err := c.WriteBundle(ctx, tgt, []byte(`{"b":1}`), evidence.CosignSignPredicateType, false); err != nil {
				t.Fatal(err)
			}
			dst := mustRef(t, dstHost+"/prod/app:v2")

			// A dry run writes nothing.
			res, err := c.Copy(ctx, tgt, dst, true)
			if err != nil {
				t.Fatal(err)
			}
			if res.Signatures != 1 || res.Referrers != 1 || !res.DryRun {
				t.Errorf("dry run = %+v, want 1 signature and 1 referrer planned", res)
			}
			repo, err := name.NewRepository(dstHost + "/prod/app")
			if err != nil {
				t.Fatal(err)
			}
			if tags, _ := remote.List(repo); len(tags) != 0 {
				t.Fatalf("dry run wrote tags %v", tags)
			}

			res, err = c.Copy(ctx, tgt, dst, false)
			if err != nil {
				t.Fatal(err)
			}
			if res.Signatures != 1 || res.Referrers != 1 || res.Tag != "v2" {
				t.Errorf("Copy() = %+v, want 1 signature, 1 referrer, tag v2", res)
			}
			// Everything arrived: every platform, the signatures, the referrer.
			got, err := c.Resolve(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest().String() != d.DigestStr() {
				t.Fatalf("destination digest %s, want %s", got.Digest(), d.DigestStr())
			}
			idx, err := remote.Index(repo.Digest(d.DigestStr()))
			if err != nil {
				t.Fatal(err)
			}
			im, _ := idx.IndexManifest()
			for _, m := range im.Manifests {
				if _, err := idx.Image(m.Digest); err != nil {
					t.Errorf("platform %s missing at destination: %v", m.Digest, err)
				}
			}
			sigs, err := c.Signatures(ctx, got)
			if err != nil || len(sigs) != 2 {
				t.Errorf("destination signatures = %d, %v; want 2", len(sigs), err)
			}
			// Again: nothing to add.
			res, err = c.Copy(ctx, tgt, dst, false)
			if err != nil {
				t.Fatal(err)
			}
			if res.Signatures != 0 || res.Referrers != 0 {
				t.Errorf("second Copy() = %+v, want nothing added", res)
			}
		})
	}
}

// TestCopyTagLast: the destination tag is the last thing written.
func TestCopyTagLast(t *testing.T) {
	src, _ := newRegistry(t, false)
	w := &writes{}
	srv := newServer(t, w)
	ctx := context.Background()
	pushImage(t, src+"/app:v1")
	c := newClient(t)
	tgt, err := c.Resolve(ctx, mustRef(t, src+"/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteSignature(ctx, tgt, legacySig("a"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteBundle(ctx, tgt, []byte(`{"b":1}`), evidence.CosignSignPredicateType, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(ctx, tgt, mustRef(t, srv+"/app:release"), false); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.log) == 0 || w.log[len(w.log)-1] != "PUT /v2/app/manifests/release" {
		t.Errorf("writes ended with %v, want the tag last", w.log)
	}
	for _, l := range w.log[:len(w.log)-1] {
		if strings.HasSuffix(l, "/manifests/release") {
			t.Errorf("tag written before the end: %v", w.log)
		}
	}
}

// TestCopyThroughLayout: registry -> layout -> registry keeps signatures and
// referrers, the way save and load do.
func TestCopyThroughLayout(t *testing.T) {
	src, _ := newRegistry(t, false)
	dstHost, _ := newRegistry(t, true)
	ctx := context.Background()
	pushImage(t, src+"/app:v1")
	c := newClient(t)
	tgt, err := c.Resolve(ctx, mustRef(t, src+"/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteSignature(ctx, tgt, legacySig("a"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteBundle(ctx, tgt, []byte(`{"b":1}`), evidence.CosignSignPredicateType, false); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if _, err := c.Copy(ctx, tgt, mustRef(t, "oci:"+dir), false); err != nil {
		t.Fatal(err)
	}
	local, err := c.Resolve(ctx, mustRef(t, "oci:"+dir+":v1"))
	if err != nil {
		t.Fatal(err)
	}
	if local.Digest() != tgt.Digest() {
		t.Fatalf("layout digest %s, want %s", local.Digest(), tgt.Digest())
	}
	if sigs, err := c.Signatures(ctx, local); err != nil || len(sigs) != 2 {
		t.Fatalf("layout signatures = %d, %v; want 2", len(sigs), err)
	}
	if _, err := c.Copy(ctx, local, mustRef(t, dstHost+"/again:v1"), false); err != nil {
		t.Fatal(err)
	}
	back, err := c.Resolve(ctx, mustRef(t, dstHost+"/again:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if sigs, err := c.Signatures(ctx, back); err != nil || len(sigs) != 2 {
		t.Fatalf("signatures after the round trip = %d, %v; want 2", len(sigs), err)
	}
}
