package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// TestBadInput: every kind of bad input gets a clear error on stderr and its
// documented exit code (docs/exit-codes.md), never a pass, a panic or a hang.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	tag, digest := w.image("bad/app")
	w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", digest)

	w.write("garbage.key", "this is not a key\n")
	w.write("rsa1024.key", weakRSAKey(t))
	down := harness.FreePort(t) // nothing listens there

	_, movedFrom := w.image("bad/moved-from")
	w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", movedFrom)
	_, movedTo := w.image("bad/moved-to")
	moveSignature(t, "legacy", movedFrom, movedTo)

	_, malformed := w.image("bad/malformed")
	pushSignatureImage(t, malformed, []sigLayer{{payload: []byte("{not json"), sig: "bm90IGEgc2lnbmF0dXJl"}})

	_, noAnnotation := w.image("bad/no-annotation")
	pushSignatureImage(t, noAnnotation, []sigLayer{{payload: []byte(`{"critical":{}}`)}})

	_, indexAsSig := w.image("bad/index-as-sig")
	pushIndexAsSignature(t, indexAsSig)

	_, oversized := w.image("bad/oversized")
	pushSignatureImage(t, oversized, []sigLayer{{payload: bytes.Repeat([]byte("A"), 2<<20), sig: "AAAA"}})

	_, many := w.image("bad/many")
	var layers []sigLayer
	for i := 0; i < 5; i++ {
		layers = append(layers, sigLayer{payload: []byte{byte('a' + i)}, sig: "AAAA"})
	}
	pushSignatureImage(t, many, layers)

	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown key format", nil, []string{"sign", "--key", "garbage.key", digest}, 2, []string{"unsupported key", "no PEM block"}},
		{"public key to sign", nil, []string{"sign", "--key", "cosign.pub", digest}, 2, []string{"signing needs the private key"}},
		{"weak RSA key", nil, []string{"sign", "--key", "rsa1024.key", digest}, 2, []string{"RSA key of 1024 bits"}},
		{"missing key file", nil, []string{"sign", "--key", "nope.key", digest}, 2, []string{"nope.key"}},
		{"wrong password", map[string]string{"COSIGN_PASSWORD": wrongPassword}, []string{"sign", "--key", "cosign.key", digest}, 2, []string{"wrong password"}},
		{"private key to verify", nil, []string{"verify", "--key", "cosign.key", digest}, 2, []string{"private key where a public key is expected"}},
		{"no key", nil, []string{"verify", digest}, 2, []string{"--key, --certificate, --ca-roots or --trusted-root is required"}},
		{"bad reference", nil, []string{"verify", "--key", "cosign.pub", "UPPER/Case::x"}, 2, []string{"parsing image reference"}},
		{"unknown flag", nil, []string{"verify", "--kee", "cosign.pub", digest}, 2, []string{"unknown flag"}},
		{"bad format", nil, []string{"sign", "--key", "cosign.key", "--format", "v9", digest}, 2, []string{"unknown signature format"}},
		{"missing image", nil, []string{"verify", "--key", "cosign.pub", w.reg.Addr + "/bad/nothing:v1"}, 3, []string{"not found"}},
		{"missing image sign", nil, []string{"sign", "--key", "cosign.key", w.reg.Addr + "/bad/nothing:v1"}, 3, []string{"not found"}},
		{"registry down", nil, []string{"verify", "--key", "cosign.pub", "--registry-retries", "1", "127.0.0.1:" + itoa(down) + "/app:v1"}, 3, []string{"registry unreachable", "connection refused"}},
		{"signature for another digest", nil, []string{"verify", "--key", "cosign.pub", movedTo}, 1, []string{"signature is for digest " + movedFrom[strings.Index(movedFrom, "@")+1:]}},
		{"malformed signature payload", nil, []string{"verify", "--key", "cosign.pub", malformed}, 1, []string{"does not verify"}},
		{"signature layer without signature", nil, []string{"verify", "--key", "cosign.pub", noAnnotation}, 1, []string{"malformed evidence", "dev.cosignproject.cosign/signature"}},
		{"malformed signature manifest", nil, []string{"verify", "--key", "cosign.pub", indexAsSig}, 1, []string{"malformed registry data", "not an image manifest"}},
		{"oversized payload", nil, []string{"verify", "--key", "cosign.pub", oversized}, 1, []string{"exceeds the limit of 1048576"}},
		{"too many signatures", nil, []string{"verify", "--key", "cosign.pub", "--max-signatures", "4", many}, 1, []string{"signatures of", "5 exceeds the limit of 4"}},
		{"wrong annotation", nil, []string{"verify", "--key", "cosign.pub", "-a", "env=prod", digest}, 1, []string{"required annotation env=prod is missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := *w.env
			for k, v := range c.env {
				env.Set(k, v)
			}
			r := env.Run(w.tollgate, c.args...)
			wantCode(t, r, c.code, c.stderr...)
			if strings.Contains(r.Stderr, "panic") || strings.Contains(r.Stderr, "goroutine ") {
				t.Errorf("tollgate panicked:\n%s", r)
			}
			for _, secret := range []string{password, wrongPassword} {
				if strings.Contains(r.Stderr+r.Stdout, secret) {
					t.Errorf("output shows a password:\n%s", r)
				}
			}
			if c.code != 0 && r.Stdout != "" {
				t.Errorf("a failed command printed results on stdout: %q", r.Stdout)
			}
		})
	}
	// The good image is still verified: the bad ones did not disturb it.
	wantCode(t, w.tg("verify", "--key", "cosign.pub", tag), 0)
}

// TestManyImagesOneBad: one bad image among many fails the command with the
// exit code of the worst outcome, and the others are still verified and
// printed.
func TestManyImagesOneBad(t *testing.T) {
	w := newWorld(t)
	var good []string
	for i := 0; i < 6; i++ {
		_, d := w.image("many/app" + itoa(i))
		good = append(good, d)
	}
	r := w.tg(append([]string{"sign", "--key", "cosign.key", "--max-workers", "3"}, good...)...)
	wantCode(t, r, 0)
	_, unsigned := w.image("many/unsigned")
	missing := w.reg.Addr + "/many/missing:v1"

	r = w.tg(append([]string{"verify", "--key", "cosign.pub", missing}, good...)...)
	wantCode(t, r, 3, "many/missing:v1")
	if got := strings.Fields(r.Stdout); len(got) != len(good) {
		t.Errorf("printed %d verified images, want %d:\n%s", len(got), len(good), r)
	}
	// A denial wins over a failure to check: the gate must not read a refused
	// image as a flaky registry.
	r = w.tg(append([]string{"verify", "--key", "cosign.pub", missing, unsigned}, good...)...)
	wantCode(t, r, 1, "no signatures found", "not found")
}

// wrongPassword is a password that does not decrypt cosign.key; it must never
// appear in any output.
const wrongPassword = "not-the-password-4711"

type sigLayer struct {
	payload []byte
	sig     string
}

// pushSignatureImage pushes a hand-made sha256-<hex>.sig image for digest.
func pushSignatureImage(t *testing.T, digest string, layers []sigLayer) {
	t.Helper()
	d, err := name.NewDigest(digest)
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, l := range layers {
		ann := map[string]string{}
		if l.sig != "" {
			ann["dev.cosignproject.cosign/signature"] = l.sig
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(l.payload, "application/vnd.dev.cosign.simplesigning.v1+json"), Annotations: ann})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := remote.Write(d.Context().Tag(sigTag(d)+".sig"), img); err != nil {
		t.Fatal(err)
	}
}

// pushIndexAsSignature tags an image index as the .sig of digest.
func pushIndexAsSignature(t *testing.T, digest string) {
	t.Helper()
	d, err := name.NewDigest(digest)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	if err := remote.WriteIndex(d.Context().Tag(sigTag(d)+".sig"), idx); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// weakRSAKey returns a PEM PKCS#8 RSA key of 1024 bits, too weak to sign with.
func weakRSAKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
