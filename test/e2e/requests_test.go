package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// TestDefaultPayloadNotFetched: tollgate verifies the legacy signatures that
// cosign v2, cosign v3 and tollgate write by default without fetching their
// payload blobs, because the payload it builds is byte for byte theirs (its
// digest is the layer's); a payload with annotations is fetched. Every image
// is named through a proxy in front of the real registry that counts blob
// reads, and signed and verified under that name.
func TestDefaultPayloadNotFetched(t *testing.T) {
	w := newWorld(t)
	target, err := url.Parse("http://" + w.reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var blobGets atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	px := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			blobGets.Add(1)
		}
		rp.ServeHTTP(rw, r)
	}))
	t.Cleanup(px.Close)
	proxy := strings.TrimPrefix(px.URL, "http://")

	cases := []struct {
		name    string
		sign    func(img string) harness.Result
		fetched int64
	}{
		{"tollgate", func(img string) harness.Result {
			return w.tg("sign", "--key", "cosign.key", img)
		}, 0},
		{"cosign-v2", func(img string) harness.Result {
			return w.env.Run(w.cosign2, "sign", "--key", "cosign.key", "--tlog-upload=false", "-y", img)
		}, 0},
		{"cosign-v3-legacy", func(img string) harness.Result {
			return w.env.Run(w.cosign3, "sign", "--key", "cosign.key", "--new-bundle-format=false", "--use-signing-config=false", "--tlog-upload=false", "-y", img)
		}, 0},
		{"cosign-v2-annotated", func(img string) harness.Result {
			return w.env.Run(w.cosign2, "sign", "--key", "cosign.key", "--tlog-upload=false", "-y", "-a", "team=payments", img)
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, direct := w.image("payload/" + c.name)
			img := proxy + strings.TrimPrefix(direct, w.reg.Addr)
			if r := c.sign(img); r.Code != 0 {
				t.Fatalf("sign failed:\n%s", r)
			}
			blobGets.Store(0)
			r := w.tg("verify", "--key", "cosign.pub", img)
			wantCode(t, r, 0)
			if got := strings.TrimSpace(r.Stdout); got != img {
				t.Errorf("verify printed %q, want %q", got, img)
			}
			if got := blobGets.Load(); got != c.fetched {
				t.Errorf("verify read %d blobs, want %d", got, c.fetched)
			}
			// Verified the same way, a signature by another key is still refused.
			wantCode(t, w.tg("verify", "--key", "other.pub", img), 1)
		})
	}
}
