package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tollgate-dev/tollgate/signer"
)

// signWorld is a registry that counts requests, an image in it, and a
// directory holding cosign.key (encrypted) for sign tests.
type signWorld struct {
	dir, image string
	requests   atomic.Int64
}

func newSignWorld(t *testing.T) *signWorld {
	t.Helper()
	w := &signWorld{dir: t.TempDir()}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.requests.Add(1)
		reg.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	w.image = ref.Context().Digest(h.String()).String()
	kp, err := signer.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	w.write(t, "cosign.key", kp.Private)
	w.requests.Store(0)
	return w
}

func (w *signWorld) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *signWorld) run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Execute(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &out}, args)
	return code, out.String()
}

// TestSignKeyErrorsBeforeRegistry: what can be known about the key and the
// certificate without decrypting the key is checked before the registry is
// asked anything; the decryption then runs alongside the registry work.
func TestSignKeyErrorsBeforeRegistry(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "pw")
	w := newSignWorld(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(small)
	smallKey := w.write(t, "small.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	notCert := w.write(t, "cert.pem", []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"))
	key := filepath.Join(w.dir, "cosign.key")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", []string{"--key", filepath.Join(w.dir, "absent.key")}, "absent.key"},
		{"key too small", []string{"--key", smallKey}, "RSA"},
		{"not a certificate", []string{"--key", key, "--certificate", notCert}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.requests.Store(0)
			code, out := w.run(append(append([]string{"sign"}, tc.args...), w.image)...)
			if code != ExitUsage || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want %d and %q", code, out, ExitUsage, tc.want)
			}
			if n := w.requests.Load(); n != 0 {
				t.Errorf("%d registry requests before the error, want none", n)
			}
		})
	}

	// A certificate for another key is known only once the key is decrypted:
	// still a usage error, and nothing is tagged.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: bigOne(), BasicConstraintsValid: true}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &other.PublicKey, other)
	if err != nil {
		t.Fatal(err)
	}
	otherCert := w.write(t, "other.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))
	code, out := w.run("sign", "--key", key, "--certificate", otherCert, w.image)
	if code != ExitUsage || !strings.Contains(out, "does not match") {
		t.Errorf("certificate of another key: exit %d, output %q", code, out)
	}
	d, _ := name.NewDigest(w.image)
	tags, err := remote.List(d.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if strings.HasPrefix(tag, "sha256-") {
			t.Errorf("tag %s written though the certificate is another key's", tag)
		}
	}
}

// TestTimeoutIsUnchecked: a command that ran out of time (--timeout) or was
// interrupted could not finish checking: exit 3, not a denial, wherever the
// deadline struck (flow.SignLoading returns it bare while waiting for a key).
func TestTimeoutIsUnchecked(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("app:v1: waiting for the signing key: %w", context.DeadlineExceeded),
		fmt.Errorf("app:v1: %w", context.Canceled),
	} {
		if got := ExitCode(err); got != ExitUnchecked {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, ExitUnchecked)
		}
	}
}

func bigOne() *big.Int { return big.NewInt(1) }
