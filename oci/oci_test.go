package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tollgate-dev/tollgate/evidence"
)

// counter counts requests by "METHOD path-kind" and in total.
type counter struct {
	mu    sync.Mutex
	total int
	kinds map[string]int
}

func (c *counter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.total++
		if c.kinds == nil {
			c.kinds = map[string]int{}
		}
		c.kinds[r.Method+" "+kind(r.URL.Path)]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *counter) reset() { c.mu.Lock(); c.total, c.kinds = 0, nil; c.mu.Unlock() }

func (c *counter) get() (int, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for k, v := range c.kinds {
		m[k] = v
	}
	return c.total, m
}

func kind(p string) string {
	switch {
	case p == "/v2/":
		return "ping"
	case strings.Contains(p, "/referrers/"):
		return "referrers"
	case strings.Contains(p, "/manifests/"):
		return "manifest"
	case strings.Contains(p, "/blobs/"):
		return "blob"
	}
	return p
}

// newRegistry starts an in-process registry, with or without the referrers API.
func newRegistry(t *testing.T, referrers bool) (string, *counter) {
	t.Helper()
	c := &counter{}
	srv := httptest.NewServer(c.wrap(registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0)))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), c
}

func newClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithRetry(0, time.Millisecond, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pushImage(t *testing.T, ref string) name.Digest {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	return r.Context().Digest(h.String())
}

func mustRef(t *testing.T, s string) Reference {
	t.Helper()
	r, err := ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withDefaultPayload pushes an image to host/repo:v1, resolves it with c and
// returns it with the simple-signing payload signers write for it by default.
func withDefaultPayload(t *testing.T, c *Client, host, repo string) (*Target, []byte) {
	t.Helper()
	ref := host + "/" + repo + ":v1"
	d := pushImage(t, ref)
	tgt, err := c.Resolve(context.Background(), mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := evidence.SimpleSigningPayload(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tgt, payload
}

func legacySig(payload string) evidence.Signature {
	return evidence.Signature{Format: evidence.FormatLegacy, Payload: []byte(payload), Base64Signature: base64.StdEncoding.EncodeToString([]byte("sig-" + payload))}
}

func TestWriteAndReadBothFormats(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(fmt.Sprintf("referrersAPI=%v", referrers), func(t *testing.T) {
			host, _ := newRegistry(t, referrers)
			c := newClient(t)
			ctx := context.Background()
			d := pushImage(t, host+"/app:v1")
			tgt, err := c.Resolve(ctx, mustRef(t, host+"/app:v1"))
			if err != nil {
				t.Fatal(err)
			}
			if tgt.Digest().String() != d.DigestStr() || !tgt.ByTag() {
				t.Fatalf("Resolve = %s (by tag %v), want %s by tag", tgt.Digest(), tgt.ByTag(), d.DigestStr())
			}
			for _, p := range []string{"one", "two"} {
				if _, err := c.WriteSignature(ctx, tgt, legacySig(p), false); err != nil {
					t.Fatal(err)
				}
			}
			w, err := c.WriteBundle(ctx, tgt, []byte(`{"bundle":1}`), evidence.CosignSignPredicateType, false)
			if err != nil {
				t.Fatal(err)
			}
			// An attestation bundle is not listed as a signature.
			if _, err := c.WriteBundle(ctx, tgt, []byte(`{"bundle":"att"}`), "https://slsa.dev/provenance/v1", false); err != nil {
				t.Fatal(err)
			}
			sigs, err := c.Signatures(ctx, tgt)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range sigs {
				switch s.Format {
				case evidence.FormatLegacy:
					got = append(got, "legacy:"+string(s.Payload)+":"+s.Base64Signature)
				case evidence.FormatBundle:
					got = append(got, "bundle:"+string(s.Bundle)+":"+s.Source)
				}
			}
			want := []string{
				"legacy:one:" + base64.StdEncoding.EncodeToString([]byte("sig-one")),
				"legacy:two:" + base64.StdEncoding.EncodeToString([]byte("sig-two")),
				`bundle:{"bundle":1}:` + w.Reference,
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Signatures() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			tags, err := remote.List(d.Context())
			if err != nil {
				t.Fatal(err)
			}
			hasFallback := false
			for _, tag := range tags {
				hasFallback = hasFallback || tag == evidence.ReferrersTag(tgt.Digest())
			}
			if hasFallback == referrers {
				t.Errorf("fallback tag present = %v with referrers API = %v; tags %v", hasFallback, referrers, tags)
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	host, cnt := newRegistry(t, false)
	c := newClient(t)
	ctx := context.Background()
	pushImage(t, host+"/app:v1")
	tgt, err := c.Resolve(ctx, mustRef(t, host+"/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	cnt.reset()
	if _, err := c.WriteSignature(ctx, tgt, legacySig("x"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteBundle(ctx, tgt, []byte("{}"), evidence.CosignSignPredicateType, true); err != nil {
		t.Fatal(err)
	}
	_, kinds := cnt.get()
	for k := range kinds {
		if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "HEAD ") {
			t.Errorf("dry run sent %s", k)
		}
	}
}

// TestRequestsPerImage: verifying an image signed once costs at most four
// requests once the run knows the registry has no referrers API (three when
// the payload is the default one, not fetched), and the probe for the API
// happens once however many images start at the same time.
func TestRequestsPerImage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payload  func(d name.Digest) []byte
		perImage int
	}{
		// Per image: HEAD manifest, GET .sig, GET fallback tag, GET blob.
		{"any payload", func(d name.Digest) []byte { return []byte(d.String()) }, 4},
		// The blob is not fetched.
		{"default payload", func(d name.Digest) []byte {
			b, err := evidence.SimpleSigningPayload(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, cnt := newRegistry(t, false)
			c := newClient(t)
			ctx := context.Background()
			const n = 12
			var refs []Reference
			for i := 0; i < n; i++ {
				ref := fmt.Sprintf("%s/app%d:v1", host, i)
				d := pushImage(t, ref)
				tgt, err := c.Resolve(ctx, mustRef(t, ref))
				if err != nil {
					t.Fatal(err)
				}
				sig := legacySig(ref)
				sig.Payload = tc.payload(d)
				if _, err := c.WriteSignature(ctx, tgt, sig, false); err != nil {
					t.Fatal(err)
				}
				refs = append(refs, mustRef(t, ref))
			}
			c = newClient(t) // a new run knows nothing
			cnt.reset()
			var wg sync.WaitGroup
			for _, r := range refs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tgt, err := c.Resolve(ctx, r)
					if err != nil {
						t.Error(err)
						return
					}
					sigs, err := c.Signatures(ctx, tgt)
					if err != nil || len(sigs) != 1 {
						t.Errorf("Signatures(%s) = %d, %v; want 1 signature", r, len(sigs), err)
					}
				}()
			}
			wg.Wait()
			total, kinds := cnt.get()
			if kinds["GET referrers"] != 1 {
				t.Errorf("referrers API probed %d times, want once: %v", kinds["GET referrers"], kinds)
			}
			if kinds["GET ping"] != 1 {
				t.Errorf("pinged %d times, want once: %v", kinds["GET ping"], kinds)
			}
			// Plus one ping and one referrers probe for the run.
			if want := tc.perImage*n + 2; total > want {
				t.Errorf("%d requests for %d images, want at most %d: %v", total, n, want, kinds)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	host, _ := newRegistry(t, true)
	ctx := context.Background()
	pushImage(t, host+"/app:v1")
	w := newClient(t)
	tgt, err := w.Resolve(ctx, mustRef(t, host+"/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := w.WriteSignature(ctx, tgt, legacySig(strings.Repeat("x", 100*(i+1))), false); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		limits Limits
		what   string
	}{
		{"signatures", Limits{MaxSignatures: 2}, "signatures of"},
		{"payload", Limits{MaxPayloadBytes: 250}, "size"},
		{"manifest", Limits{MaxManifestBytes: 100}, "manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, WithLimits(tc.limits))
			_, err := c.Signatures(ctx, tgt)
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimitExceeded) {
				t.Fatalf("Signatures() error = %v, want a *LimitError", err)
			}
			if !strings.Contains(le.What, tc.what) {
				t.Errorf("LimitError.What = %q, want it to mention %q", le.What, tc.what)
			}
		})
	}
	if _, err := newClient(t).Signatures(ctx, tgt); err != nil {
		t.Errorf("with default limits: %v", err)
	}
}

func TestMalformedSignatureManifest(t *testing.T) {
	host, _ := newRegistry(t, false)
	ctx := context.Background()
	d := pushImage(t, host+"/app:v1")
	h, _ := v1.NewHash(d.DigestStr())
	// An index where the .sig image should be.
	if err := remote.WriteIndex(d.Context().Tag(evidence.SignatureTag(h)), empty.Index); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	tgt, err := c.Resolve(ctx, mustRef(t, d.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Signatures(ctx, tgt); !errors.Is(err, ErrMalformed) {
		t.Errorf("Signatures() error = %v, want ErrMalformed", err)
	}
}

func TestResolveErrors(t *testing.T) {
	host, _ := newRegistry(t, false)
	c := newClient(t)
	ctx := context.Background()
	if _, err := c.Resolve(ctx, mustRef(t, host+"/nothing:v1")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(missing) error = %v, want ErrNotFound", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	if _, err := c.Resolve(ctx, mustRef(t, addr+"/app:v1")); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Resolve(down) error = %v, want ErrUnreachable", err)
	}
}

// flaky answers the first failures requests with status (and Retry-After),
// then passes through.
type flaky struct {
	next       http.Handler
	failures   int32
	status     int
	retryAfter string
	active     atomic.Bool
	seen       atomic.Int32
	times      []time.Time
	mu         sync.Mutex
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
	if f.active.Load() && r.URL.Path != "/v2/" && f.seen.Add(1) <= f.failures {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.WriteHeader(f.status)
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		failures   int32
		retryAfter string
		retries    int
		wantErr    error
		minGap     time.Duration
	}{
		{"503 then success", http.StatusServiceUnavailable, 2, "", 3, nil, 0},
		{"429 honours Retry-After", http.StatusTooManyRequests, 1, "1", 3, nil, time.Second},
		{"429 asking too long gives up", http.StatusTooManyRequests, 1, "3600", 3, ErrUnreachable, 0},
		{"500 beyond retries", http.StatusInternalServerError, 10, "", 2, ErrUnreachable, 0},
		{"404 is not retried", http.StatusNotFound, 1, "", 3, ErrNotFound, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{next: registry.New(registry.Logger(log.New(io.Discard, "", 0))), failures: tc.failures, status: tc.status, retryAfter: tc.retryAfter}
			srv := httptest.NewServer(f)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			d := pushImage(t, host+"/app:v1")
			f.mu.Lock()
			f.times = nil
			f.mu.Unlock()
			f.active.Store(true)
			c, err := NewClient(WithRetry(tc.retries, 10*time.Millisecond, 2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			tgt, err := c.Resolve(context.Background(), mustRef(t, host+"/app:v1"))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Resolve() error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error = %v", err)
			}
			if tgt.Digest().String() != d.DigestStr() {
				t.Errorf("Resolve() = %s, want %s", tgt.Digest(), d.DigestStr())
			}
			if got := f.seen.Load(); got != tc.failures+1 && tc.wantErr == nil {
				t.Errorf("%d non-ping requests, want %d", got, tc.failures+1)
			}
			if tc.minGap > 0 {
				f.mu.Lock()
				times := f.times
				f.mu.Unlock()
				last, prev := times[len(times)-1], times[len(times)-2]
				if gap := last.Sub(prev); gap < tc.minGap {
					t.Errorf("retried after %s, want at least the %s Retry-After asked", gap, tc.minGap)
				}
			}
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestPlainHTTPGuard: plain HTTP goes to loopback hosts only, unless allowed.
func TestPlainHTTPGuard(t *testing.T) {
	sent := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
	})
	tests := []struct {
		url      string
		insecure bool
		allowed  bool
	}{
		{"http://127.0.0.1:5000/v2/", false, true},
		{"http://localhost:5000/v2/", false, true},
		{"http://registry.localhost/v2/", false, true},
		{"http://[::1]:5000/v2/", false, true},
		{"http://10.0.0.8:5000/v2/", false, false},
		{"http://192.168.1.2/v2/", false, false},
		{"http://registry.example.com/v2/", false, false},
		{"http://registry.example.com/v2/", true, true},
		{"https://registry.example.com/v2/", false, true},
	}
	for _, tc := range tests {
		sent = 0
		g := &guardTransport{next: base, insecure: tc.insecure}
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		_, err := g.RoundTrip(req)
		if (err == nil) != tc.allowed || (sent == 1) != tc.allowed {
			t.Errorf("guard(%s, insecure=%v): err %v, sent %d; want allowed=%v", tc.url, tc.insecure, err, sent, tc.allowed)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRedactURL(t *testing.T) {
	if got := redactURL("https://user:secret@registry.example.com/v2/"); strings.Contains(got, "secret") {
		t.Errorf("redactURL kept the password: %s", got)
	}
}

// TestForeignSignatureImage reads a .sig image written by other means (as
// cosign writes it), including certificate annotations.
func TestForeignSignatureImage(t *testing.T) {
	host, _ := newRegistry(t, false)
	d := pushImage(t, host+"/app:v1")
	h, _ := v1.NewHash(d.DigestStr())
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img, err := mutate.Append(img, mutate.Addendum{
		Layer: static.NewLayer([]byte("payload"), evidence.SimpleSigningMediaType),
		Annotations: map[string]string{
			evidence.AnnotationSignature:   "c2ln",
			evidence.AnnotationCertificate: "-----BEGIN CERTIFICATE-----\n",
			evidence.AnnotationChain:       "chain",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(d.Context().Tag(evidence.SignatureTag(h)), img); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	tgt, err := c.DigestTarget(mustRef(t, d.String()))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := c.Signatures(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || string(sigs[0].Payload) != "payload" || sigs[0].Base64Signature != "c2ln" || string(sigs[0].Certificate) != "-----BEGIN CERTIFICATE-----\n" || string(sigs[0].Chain) != "chain" {
		t.Errorf("Signatures() = %+v", sigs)
	}
}

// newServer starts an in-process registry without the referrers API whose
// write requests w records.
func newServer(t *testing.T, w *writes) string {
	t.Helper()
	srv := httptest.NewServer(w.wrap(registry.New(registry.Logger(log.New(io.Discard, "", 0)))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestKnownPayloadNotFetched: a legacy signature over the payload signers
// write by default (this repository and digest, no annotations) is read
// without fetching its payload blob: the bytes are built and checked against
// the layer's digest. A payload with annotations, or naming another
// repository (an image copied after signing), is fetched. Either way the
// payload returned is the one written.
func TestKnownPayloadNotFetched(t *testing.T) {
	host, cnt := newRegistry(t, false)
	ctx := context.Background()
	w := newClient(t)
	const n = 6
	type img struct {
		ref     Reference
		payload []byte
		fetched bool
	}
	var imgs []img
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("%s/known%d:v1", host, i)
		d := pushImage(t, ref)
		tgt, err := w.Resolve(ctx, mustRef(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		var (
			payload []byte
			fetched bool
		)
		switch i % 3 {
		case 0: // the default payload
			payload, err = evidence.SimpleSigningPayload(d, nil)
		case 1: // annotations in the optional section
			payload, err = evidence.SimpleSigningPayload(d, map[string]string{"commit": fmt.Sprint(i)})
			fetched = true
		case 2: // signed in another repository, then copied here
			var other name.Digest
			if other, err = name.NewDigest(host + "/elsewhere@" + d.DigestStr()); err == nil {
				payload, err = evidence.SimpleSigningPayload(other, nil)
			}
			fetched = true
		}
		if err != nil {
			t.Fatal(err)
		}
		sig := legacySig("x")
		sig.Payload = payload
		if _, err := w.WriteSignature(ctx, tgt, sig, false); err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img{mustRef(t, ref), payload, fetched})
	}
	for _, im := range imgs {
		c := newClient(t)
		tgt, err := c.Resolve(ctx, im.ref)
		if err != nil {
			t.Fatal(err)
		}
		cnt.reset()
		sigs, err := c.Signatures(ctx, tgt)
		if err != nil || len(sigs) != 1 {
			t.Fatalf("Signatures(%s) = %d, %v; want 1", im.ref, len(sigs), err)
		}
		if !bytes.Equal(sigs[0].Payload, im.payload) {
			t.Errorf("%s: payload %s, want %s", im.ref, sigs[0].Payload, im.payload)
		}
		_, kinds := cnt.get()
		if got, want := kinds["GET blob"], map[bool]int{false: 0, true: 1}[im.fetched]; got != want {
			t.Errorf("%s: %d blob requests, want %d: %v", im.ref, got, want, kinds)
		}
	}
}

// TestPreparedSignature: PrepareSignature pushes the new blobs of the .sig
// image before the signature exists, so Commit pushes only the manifest; the
// signature read back is the one committed, next to those already there.
func TestPreparedSignature(t *testing.T) {
	host, cnt := newRegistry(t, true)
	ctx := context.Background()
	c := newClient(t)
	tgt, payload := withDefaultPayload(t, c, host, "prepared")
	if _, err := c.WriteSignature(ctx, tgt, legacySig("first"), false); err != nil {
		t.Fatal(err)
	}
	cnt.reset()
	p, err := c.PrepareSignature(ctx, tgt, payload, false)
	if err != nil {
		t.Fatal(err)
	}
	// Two new blobs (payload and config) uploaded without asking first; the
	// first signature's layer, already there, is not pushed again.
	if _, kinds := cnt.get(); kinds["HEAD blob"] != 0 || kinds["PUT blob"] != 2 || kinds["GET manifest"] != 1 {
		t.Errorf("PrepareSignature sent %v, want the .sig manifest read and two blob uploads without HEADs", kinds)
	}
	if sigs, err := c.Signatures(ctx, tgt); err != nil || len(sigs) != 1 {
		t.Fatalf("before Commit: %d signatures, %v; want the first only", len(sigs), err)
	}
	sig := legacySig("x")
	sig.Payload = payload
	sig.Certificate = []byte("cert")
	other := sig
	other.Payload = []byte("another payload")
	if _, err := p.Commit(ctx, other); err == nil {
		t.Error("Commit with another payload succeeded")
	}
	cnt.reset()
	w, err := p.Commit(ctx, sig)
	if err != nil {
		t.Fatal(err)
	}
	if total, kinds := cnt.get(); total != 1 || kinds["PUT manifest"] != 1 {
		t.Errorf("Commit sent %d requests %v, want one manifest PUT", total, kinds)
	}
	sigs, err := newClient(t).Signatures(ctx, tgt)
	if err != nil || len(sigs) != 2 {
		t.Fatalf("after Commit: %d signatures, %v; want 2", len(sigs), err)
	}
	if got := sigs[1]; !bytes.Equal(got.Payload, payload) || got.Base64Signature != sig.Base64Signature || string(got.Certificate) != "cert" {
		t.Errorf("signature read back = %+v", got)
	}
	if h, _, _ := v1.SHA256(bytes.NewReader(payload)); w.Layer != h.String() {
		t.Errorf("written layer %s, want the payload's digest %s", w.Layer, h)
	}
}

// TestRefreshKeepsConcurrentSignatures: a signature committed after another
// signer appended to the same .sig image keeps both once Refresh has run;
// Refresh costs one request when nothing changed. Committing without it, as
// any read-modify-write of the .sig tag, would drop the other signature.
func TestRefreshKeepsConcurrentSignatures(t *testing.T) {
	host, cnt := newRegistry(t, false)
	ctx := context.Background()
	c := newClient(t)
	for _, refresh := range []bool{true, false} {
		tgt, payload := withDefaultPayload(t, c, host, fmt.Sprintf("concurrent-%v", refresh))
		p, err := c.PrepareSignature(ctx, tgt, payload, false)
		if err != nil {
			t.Fatal(err)
		}
		cnt.reset()
		if err := p.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if total, kinds := cnt.get(); total != 1 || kinds["HEAD manifest"] != 1 {
			t.Errorf("Refresh of an unchanged .sig sent %v, want one HEAD", kinds)
		}
		// Another signer appends meanwhile.
		if _, err := newClient(t).WriteSignature(ctx, tgt, legacySig("other signer"), false); err != nil {
			t.Fatal(err)
		}
		if refresh {
			if err := p.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sig := legacySig("mine")
		sig.Payload = payload
		if _, err := p.Commit(ctx, sig); err != nil {
			t.Fatal(err)
		}
		sigs, err := newClient(t).Signatures(ctx, tgt)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]int{true: 2, false: 1}[refresh]
		if len(sigs) != want {
			t.Errorf("refresh=%v: %d signatures after both committed, want %d", refresh, len(sigs), want)
		}
		if refresh && len(sigs) == 2 && (string(sigs[0].Payload) != "other signer" || !bytes.Equal(sigs[1].Payload, payload)) {
			t.Errorf("signatures = %q, %q; want the other signer's, then mine", sigs[0].Payload, sigs[1].Payload)
		}
	}
}

// TestPrepareSkipsPayloadPresent: signing a payload the .sig image already
// holds (a second key, a re-run) uploads only the new config.
func TestPrepareSkipsPayloadPresent(t *testing.T) {
	host, cnt := newRegistry(t, false)
	ctx := context.Background()
	c := newClient(t)
	tgt, payload := withDefaultPayload(t, c, host, "again")
	first := legacySig("k1")
	first.Payload = payload
	if _, err := c.WriteSignature(ctx, tgt, first, false); err != nil {
		t.Fatal(err)
	}
	cnt.reset()
	second := legacySig("k2")
	second.Payload = payload
	if _, err := c.WriteSignature(ctx, tgt, second, false); err != nil {
		t.Fatal(err)
	}
	if _, kinds := cnt.get(); kinds["PUT blob"] != 1 || kinds["HEAD blob"] != 0 {
		t.Errorf("second signature sent %v, want one blob upload (the config) and no HEAD", kinds)
	}
	sigs, err := newClient(t).Signatures(ctx, tgt)
	if err != nil || len(sigs) != 2 || sigs[1].Base64Signature != second.Base64Signature {
		t.Errorf("Signatures() = %d, %v; want both", len(sigs), err)
	}
}

// TestHeadWithoutDigest: a registry whose HEAD answers carry no
// Docker-Content-Digest is asked again with GET, to resolve a tag and to
// check a .sig tag before a signature is committed.
func TestHeadWithoutDigest(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				if k != "Docker-Content-Digest" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			gets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	c := newClient(t)
	d := pushImage(t, host+"/nodigest:v1")
	tgt, err := c.Resolve(ctx, mustRef(t, host+"/nodigest:v1"))
	if err != nil {
		t.Fatalf("Resolve() = %v, want the digest from a GET", err)
	}
	if tgt.Digest().String() != d.DigestStr() {
		t.Fatalf("resolved %s, want %s", tgt.Digest(), d.DigestStr())
	}
	payload, err := evidence.SimpleSigningPayload(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteSignature(ctx, tgt, legacySig("first"), false); err != nil {
		t.Fatal(err)
	}
	p, err := c.PrepareSignature(ctx, tgt, payload, false)
	if err != nil {
		t.Fatal(err)
	}
	gets.Store(0)
	if err := p.Refresh(ctx); err != nil {
		t.Fatalf("Refresh() = %v, want the tag's digest from a GET", err)
	}
	if n := gets.Load(); n != 1 {
		t.Errorf("Refresh sent %d manifest GETs, want 1", n)
	}
	sig := legacySig("second")
	sig.Payload = payload
	if _, err := p.Commit(ctx, sig); err != nil {
		t.Fatal(err)
	}
	if sigs, err := c.Signatures(ctx, tgt); err != nil || len(sigs) != 2 {
		t.Errorf("Signatures() = %d, %v; want 2", len(sigs), err)
	}
}
