package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

const (
	hexA = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	hexB = "cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

	slsaPredicateType = "https://slsa.dev/provenance/v1"
)

// Key names.
const (
	keyP256    = "ecdsa-p256"
	keyP384    = "ecdsa-p384"
	keyP521    = "ecdsa-p521"
	keyRSA2048 = "rsa-2048"
	keyEd25519 = "ed25519"
	keyOther   = "other-p256" // never trusted unless a test says so
)

var allKeys = []string{keyP256, keyP384, keyP521, keyRSA2048, keyEd25519}

type testKey struct {
	priv   crypto.Signer
	signer signer.Signer
}

var (
	keysOnce sync.Once
	keys     map[string]testKey
)

// testKeys returns keys generated once per test binary, each with the
// tollgate Signer for it.
func testKeys(t testing.TB) map[string]testKey {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]testKey{}
		add := func(n string, k crypto.Signer, err error) {
			if err != nil {
				panic(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				panic(err)
			}
			s, err := signer.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)
			if err != nil {
				panic(err)
			}
			keys[n] = testKey{priv: k, signer: s}
		}
		for n, c := range map[string]elliptic.Curve{keyP256: elliptic.P256(), keyP384: elliptic.P384(), keyP521: elliptic.P521(), keyOther: elliptic.P256()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			add(n, k, err)
		}
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		add(keyRSA2048, r, err)
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		add(keyEd25519, ed, err)
	})
	return keys
}

func trustedKey(t testing.TB, name string) verifier.TrustedKey {
	return verifier.TrustedKey{Name: name, Key: testKeys(t)[name].priv.Public()}
}

func newVerifier(t testing.TB, names ...string) *verifier.Verifier {
	t.Helper()
	var tk []verifier.TrustedKey
	for _, n := range names {
		tk = append(tk, trustedKey(t, n))
	}
	v, err := verifier.New(verifier.WithPublicKeys(tk...))
	if err != nil {
		t.Fatalf("verifier.New(%v) error = %v", names, err)
	}
	return v
}

func mustHash(t testing.TB, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// legacyPayload is the simple-signing payload for repo@sha256:hex.
func legacyPayload(t testing.TB, repo, hex string, ann map[string]string) []byte {
	t.Helper()
	d, err := name.NewDigest(repo + "@sha256:" + hex)
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.SimpleSigningPayload(d, ann)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signLegacy signs payload with the named key as tollgate (and cosign) sign
// a legacy signature.
func signLegacy(t testing.TB, key string, payload []byte) evidence.Signature {
	t.Helper()
	sig, err := testKeys(t)[key].signer.Sign(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Signature{
		Format:          evidence.FormatLegacy,
		Source:          "sha256-" + hexA + ".sig/" + key,
		Payload:         payload,
		Base64Signature: base64.StdEncoding.EncodeToString(sig),
	}
}

func legacySig(t testing.TB, key, hex string, ann map[string]string) evidence.Signature {
	t.Helper()
	return signLegacy(t, key, legacyPayload(t, "ghcr.io/acme/app", hex, ann))
}

// bundleFor signs statement as a Sigstore bundle with the named key.
func bundleFor(t testing.TB, key string, statement []byte) evidence.Signature {
	t.Helper()
	b, err := signer.DSSEBundle(context.Background(), testKeys(t)[key].signer, evidence.InTotoPayloadType, statement)
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Signature{Format: evidence.FormatBundle, Source: "bundle/" + key, Bundle: b}
}

func bundleSig(t testing.TB, key, hex string, ann map[string]string) evidence.Signature {
	t.Helper()
	st, err := evidence.SignStatement(mustHash(t, "sha256:"+hex), ann)
	if err != nil {
		t.Fatal(err)
	}
	return bundleFor(t, key, st)
}

func attestationSig(t testing.TB, key, hex, predicateType string) evidence.Signature {
	t.Helper()
	pred, err := structpb.NewStruct(map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := evidence.Statement(mustHash(t, "sha256:"+hex), predicateType, nil, pred)
	if err != nil {
		t.Fatal(err)
	}
	return bundleFor(t, key, st)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withSource(s evidence.Signature, src string) evidence.Signature {
	s.Source = src
	return s
}

func mustHashExample(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}
