package flow

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
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
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

func setup(t *testing.T) (string, *oci.Client) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	c, err := oci.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(srv.URL, "http://"), c
}

// blobCountingRegistry is setup with a count of the blob uploads the
// registry completes.
func blobCountingRegistry(t *testing.T) (string, *oci.Client, *atomic.Int64) {
	t.Helper()
	var blobPuts atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/") {
			blobPuts.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := oci.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(srv.URL, "http://"), c, &blobPuts
}

// noEvidenceTags fails the test if img's repository has a sha256-<hex> tag
// (.sig, .att or referrers fallback): nothing was written for it.
func noEvidenceTags(t *testing.T, img string) {
	t.Helper()
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(d.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if strings.HasPrefix(tag, "sha256-") {
			t.Errorf("tag %s written after a failed load", tag)
		}
	}
}

func keyPair(t *testing.T) (signer.Signer, *verifier.Verifier) {
	t.Helper()
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(pk)
	s, err := signer.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.WithPublicKeys(verifier.TrustedKey{Name: "test", Key: s.Public()}))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func push(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(64, 1)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	return r.Context().Digest(h.String()).String()
}

func TestSignThenVerifyManyImages(t *testing.T) {
	for _, format := range []evidence.Format{evidence.FormatLegacy, evidence.FormatBundle} {
		t.Run(string(format), func(t *testing.T) {
			host, c := setup(t)
			s, v := keyPair(t)
			ctx := context.Background()
			var tags, digests []string
			for i := 0; i < 10; i++ {
				tag := fmt.Sprintf("%s/app%d:v1", host, i)
				digests = append(digests, push(t, tag))
				tags = append(tags, tag)
			}
			res, err := Sign(ctx, c, s, tags, WithFormat(format), WithAnnotations(map[string]string{"k": "v"}), WithMaxWorkers(3))
			if err != nil {
				t.Fatalf("Sign() error = %v", err)
			}
			for i, r := range res {
				if r.Digest != digests[i] || r.Written == nil || r.Written.Format != format || len(r.Warnings) != 1 {
					t.Errorf("Sign()[%d] = %+v, want %s signed in format %s with a by-tag warning", i, r, digests[i], format)
				}
			}
			vr, err := Verify(ctx, c, v, tags, WithAnnotations(map[string]string{"k": "v"}))
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			for i, r := range vr {
				if !r.Verified() || r.Digest != digests[i] {
					t.Errorf("Verify()[%d] = %+v, want %s verified", i, r, digests[i])
				}
			}
			// By digest, resolving and listing run together; same verdict.
			vr, err = Verify(ctx, c, v, digests)
			if err != nil {
				t.Fatalf("Verify(by digest) error = %v", err)
			}
			if len(vr) != len(digests) || !vr[0].Verified() {
				t.Errorf("Verify(by digest) = %+v", vr[0])
			}
		})
	}
}

func TestVerifyOutcomes(t *testing.T) {
	host, c := setup(t)
	s, v := keyPair(t)
	other, _ := keyPair(t)
	ctx := context.Background()
	signed := push(t, host+"/signed:v1")
	otherSigned := push(t, host+"/other:v1")
	unsigned := push(t, host+"/unsigned:v1")
	if _, err := Sign(ctx, c, s, []string{signed}); err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(ctx, c, other, []string{otherSigned}); err != nil {
		t.Fatal(err)
	}
	images := []string{signed, otherSigned, unsigned, host + "/missing:v1", "Not A Reference"}
	res, err := Verify(ctx, c, v, images)
	if err == nil {
		t.Fatal("Verify() error = nil, want the failures joined")
	}
	checks := []func(VerifyResult) bool{
		func(r VerifyResult) bool { return r.Verified() },
		func(r VerifyResult) bool {
			return errors.Is(r.Err, verifier.ErrInvalidSignature) && r.Digest == otherSigned
		},
		func(r VerifyResult) bool { return errors.Is(r.Err, verifier.ErrNoSignatures) },
		func(r VerifyResult) bool { return errors.Is(r.Err, oci.ErrNotFound) && r.Digest == "" },
		func(r VerifyResult) bool { return IsUsageError(r.Err) },
	}
	for i, ok := range checks {
		if !ok(res[i]) {
			t.Errorf("Verify(%q) = verified %v, err %v", images[i], res[i].Verified(), res[i].Err)
		}
	}
	for _, want := range []error{verifier.ErrDenied, oci.ErrNotFound} {
		if !errors.Is(err, want) {
			t.Errorf("joined error does not wrap %v: %v", want, err)
		}
	}
}

func TestSignOptionsValidated(t *testing.T) {
	host, c := setup(t)
	s, _ := keyPair(t)
	for _, o := range []Option{WithMaxWorkers(0), WithFormat("nope"), WithAnnotations(map[string]string{"": "x"})} {
		if _, err := Sign(context.Background(), c, s, []string{host + "/x:v1"}, o); err == nil {
			t.Errorf("Sign() with a bad option: error = nil")
		}
	}
}

func TestSignedIdentity(t *testing.T) {
	host, c := setup(t)
	s, v := keyPair(t)
	ctx := context.Background()
	d := push(t, host+"/app:v1")
	if _, err := Sign(ctx, c, s, []string{d}, WithSignContainerIdentity("mirror.example.com/team/app")); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(ctx, c, v, []string{d})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Result.Verified()[0].DockerReference; got != "mirror.example.com/team/app" {
		t.Errorf("docker-reference = %q, want the identity given", got)
	}
}

// TestDefaultFormatIsLegacy pins the documented default (docs/formats.md):
// without WithFormat, Sign writes cosign's tag scheme.
func TestDefaultFormatIsLegacy(t *testing.T) {
	host, c := setup(t)
	s, _ := keyPair(t)
	d := push(t, host+"/app:v1")
	res, err := Sign(context.Background(), c, s, []string{d})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Written.Format; got != evidence.FormatLegacy {
		t.Errorf("default format = %s, want %s", got, evidence.FormatLegacy)
	}
}

// TestSignLoadingOverlaps: while the signer loads, every image is resolved and
// the blobs of its .sig image pushed; the signer is waited for only by the
// manifests. The loader here returns only once the registry has received a
// blob for every image, which it would never do if loading came first.
func TestSignLoadingOverlaps(t *testing.T) {
	var (
		mu                 sync.Mutex
		blobs              = map[string]bool{}
		manifestBeforeLoad bool
		loaded             = make(chan struct{})
	)
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			repo := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/v2/"), "/", 2)[0]
			mu.Lock()
			switch {
			case strings.Contains(r.URL.Path, "/blobs/"):
				blobs[repo] = true
			case strings.Contains(r.URL.Path, "/manifests/sha256-"):
				select {
				case <-loaded:
				default:
					manifestBeforeLoad = true
				}
			}
			mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := oci.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	s, v := keyPair(t)
	const n = 5
	var images []string
	for i := 0; i < n; i++ {
		images = append(images, push(t, fmt.Sprintf("%s/app%d:v1", host, i)))
	}
	mu.Lock()
	clear(blobs) // pushing the images themselves does not count
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := func() (signer.Signer, error) {
		for {
			mu.Lock()
			all := len(blobs) == n
			mu.Unlock()
			if all {
				close(loaded)
				return s, nil
			}
			select {
			case <-ctx.Done():
				return nil, errors.New("the images' blobs were not pushed while the signer loaded")
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	if _, err := SignLoading(ctx, c, load, images); err != nil {
		t.Fatal(err)
	}
	if manifestBeforeLoad {
		t.Error("a signature manifest was pushed before the signer was loaded")
	}
	vr, err := Verify(ctx, c, v, images)
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, r := range vr {
		if !r.Verified() {
			t.Errorf("%s not verified", r.Image)
		}
	}
}

// TestSignLoadingFails: when the signer does not load (a wrong password), no
// signature is written and the loader's error is returned, once: whether it
// fails at once, or only after the images' blobs were pushed while it ran,
// with fewer workers than images.
func TestSignLoadingFails(t *testing.T) {
	for _, format := range []evidence.Format{evidence.FormatLegacy, evidence.FormatBundle} {
		for _, late := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/late=%v", format, late), func(t *testing.T) {
				host, c, blobPuts := blobCountingRegistry(t)
				_, v := keyPair(t)
				var images []string
				for i := 0; i < 3; i++ {
					images = append(images, push(t, fmt.Sprintf("%s/app%d:v1", host, i)))
				}
				blobPuts.Store(0)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				wrong := errors.New("wrong password")
				load := func() (signer.Signer, error) {
					// Legacy: the first image's two blobs go up while the key loads.
					for late && format == evidence.FormatLegacy && blobPuts.Load() < 2 && ctx.Err() == nil {
						time.Sleep(5 * time.Millisecond)
					}
					return nil, wrong
				}
				res, err := SignLoading(ctx, c, load, images, WithFormat(format), WithMaxWorkers(1))
				if !errors.Is(err, wrong) || res != nil {
					t.Fatalf("SignLoading() = %v, %v; want nil results and the loader's error", res, err)
				}
				if ctx.Err() != nil {
					t.Fatal("the loader waited in vain for blobs to be pushed")
				}
				vr, err := Verify(context.Background(), c, v, images)
				if err == nil || vr[0].Verified() {
					t.Errorf("an image is signed after a failed load: %+v", vr[0])
				}
				for _, img := range images {
					noEvidenceTags(t, img)
				}
			})
		}
	}
}

// TestSignLoadingDeadline: when the deadline passes while images wait for the
// key, each image fails with an error that says so and wraps the context's.
func TestSignLoadingDeadline(t *testing.T) {
	host, c := setup(t)
	s, _ := keyPair(t)
	img := push(t, host+"/app:v1")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	load := func() (signer.Signer, error) {
		// A decryption that outlasts the deadline. (Returning the moment the
		// deadline passes would race with its propagation to the contexts
		// derived from ctx.)
		<-ctx.Done()
		time.Sleep(100 * time.Millisecond)
		return s, nil
	}
	res, err := SignLoading(ctx, c, load, []string{img})
	if err == nil || len(res) != 1 {
		t.Fatalf("SignLoading() = %v, %v; want one failed image", res, err)
	}
	if !errors.Is(res[0].Err, context.DeadlineExceeded) || !strings.Contains(res[0].Err.Error(), "signing key") {
		t.Errorf("image error = %v, want the deadline while waiting for the signing key", res[0].Err)
	}
}

// TestAttestLoading: images are resolved and their statements built while the
// key loads; a failed load writes nothing and returns the loader's error.
func TestAttestLoading(t *testing.T) {
	host, c := setup(t)
	s, _ := keyPair(t)
	img := push(t, host+"/app:v1")
	built := make(chan struct{}, 1)
	build := func(tgt *oci.Target) ([]byte, error) {
		built <- struct{}{}
		return evidence.AttestationStatement(tgt.DigestRef().String(), tgt.Digest(), "https://example.com/review/v1", []byte(`{"ok":true}`), time.Now())
	}
	for _, fail := range []bool{true, false} {
		load := func() (signer.Signer, error) {
			select { // the statement is built before the key is there
			case <-built:
			case <-time.After(10 * time.Second):
				return nil, errors.New("the statement was not built while the key loaded")
			}
			if fail {
				return nil, errors.New("wrong password")
			}
			return s, nil
		}
		res, err := AttestLoading(context.Background(), c, load, []string{img}, build)
		if fail {
			if err == nil || err.Error() != "wrong password" || res != nil {
				t.Fatalf("AttestLoading(failing key) = %v, %v", res, err)
			}
			noEvidenceTags(t, img)
			continue
		}
		if err != nil || len(res) != 1 || res[0].Written == nil {
			t.Fatalf("AttestLoading() = %+v, %v", res, err)
		}
	}
}

// TestSignLoadingKeepsConcurrentSignature: a signature another signer appends
// to the .sig image while this one waits for its key survives: the image
// that waited reads the tag again before putting its manifest.
func TestSignLoadingKeepsConcurrentSignature(t *testing.T) {
	host, c, blobPuts := blobCountingRegistry(t)
	s, v := keyPair(t)
	other, otherV := keyPair(t)
	img := push(t, host+"/app:v1")
	blobPuts.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := func() (signer.Signer, error) {
		for blobPuts.Load() < 2 { // this signature's blobs are up
			if ctx.Err() != nil {
				return nil, errors.New("blobs not pushed while the key loaded")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Meanwhile another signer signs the same image.
		if _, err := Sign(ctx, c, other, []string{img}); err != nil {
			return nil, err
		}
		return s, nil
	}
	if _, err := SignLoading(ctx, c, load, []string{img}); err != nil {
		t.Fatal(err)
	}
	for name, ver := range map[string]*verifier.Verifier{"this signer": v, "the other signer": otherV} {
		if vr, err := Verify(ctx, c, ver, []string{img}); err != nil || !vr[0].Verified() {
			t.Errorf("%s's signature is gone: %v", name, err)
		}
	}
}
