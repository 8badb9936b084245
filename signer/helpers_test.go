package signer_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/tollgate-dev/tollgate/signer"
)

// testPassword is the password of every encrypted key in these tests,
// including the cosign-generated ones in testdata/.
const testPassword = "tollgate-test-password"

// Key names used across the tests.
const (
	keyP256    = "ecdsa-p256"
	keyP384    = "ecdsa-p384"
	keyP521    = "ecdsa-p521"
	keyRSA2048 = "rsa-2048"
	keyEd25519 = "ed25519"
	keyP224    = "ecdsa-p224"
	keyRSA1024 = "rsa-1024"
)

// supportedKeys lists the key types tollgate signs with, in a fixed order.
var supportedKeys = []string{keyP256, keyP384, keyP521, keyRSA2048, keyEd25519}

var (
	keysOnce sync.Once
	keys     map[string]crypto.Signer
	x25519   *ecdh.PrivateKey
)

// testKeys returns private keys generated once per test binary.
func testKeys(t testing.TB) map[string]crypto.Signer {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]crypto.Signer{}
		for n, c := range map[string]elliptic.Curve{keyP256: elliptic.P256(), keyP384: elliptic.P384(), keyP521: elliptic.P521(), keyP224: elliptic.P224()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			keys[n] = k
		}
		for n, bits := range map[string]int{keyRSA2048: 2048, keyRSA1024: 1024} {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			keys[n] = k
		}
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		keys[keyEd25519] = ed
		if x25519, err = ecdh.X25519().GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return keys
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8PEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatalf("x509.MarshalPKCS8PrivateKey(%T) = %v", k, err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func sec1PEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatalf("x509.MarshalECPrivateKey = %v", err)
	}
	return pemBlock("EC PRIVATE KEY", der)
}

func pkcs1PEM(k crypto.Signer) []byte {
	return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey)))
}

func publicPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("x509.MarshalPKIXPublicKey(%T) = %v", pub, err)
	}
	return pemBlock("PUBLIC KEY", der)
}

func certificatePEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tollgate test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<32, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatalf("x509.CreateCertificate = %v", err)
	}
	return pemBlock("CERTIFICATE", der)
}

// encryptedPEM encrypts der as cosign does, with the given scrypt strength,
// under the given PEM type.
func encryptedPEM(t testing.TB, typ string, der []byte, password string, level encrypted.KDFParameterStrength) []byte {
	t.Helper()
	enc, err := encrypted.EncryptWithCustomKDFParameters(der, []byte(password), level)
	if err != nil {
		t.Fatalf("encrypting key: %v", err)
	}
	return pemBlock(typ, enc)
}

// encryptedFixtures holds the encrypted keys, made once per test binary
// because scrypt is slow.
type encryptedFixtures struct {
	// generated is GenerateKeyPair(testPassword).
	generated *signer.KeyPair
	// emptyPassword is GenerateKeyPair("").
	emptyPassword *signer.KeyPair
	// legacyP384 is a P-384 key as older cosign releases wrote it: PEM type
	// ENCRYPTED COSIGN PRIVATE KEY with the legacy scrypt parameters.
	legacyP384 []byte
	// ed25519 is an Ed25519 key in the encrypted format, as cosign
	// import-key-pair writes it.
	ed25519 []byte
	// sec1Inside is an encrypted key whose plaintext is SEC1, not PKCS#8.
	sec1Inside []byte
}

var (
	encOnce sync.Once
	enc     encryptedFixtures
)

func encryptedKeys(t testing.TB) *encryptedFixtures {
	t.Helper()
	k := testKeys(t)
	encOnce.Do(func() {
		var wg sync.WaitGroup
		var errs [2]error
		wg.Add(2)
		go func() { defer wg.Done(); enc.generated, errs[0] = signer.GenerateKeyPair([]byte(testPassword)) }()
		go func() { defer wg.Done(); enc.emptyPassword, errs[1] = signer.GenerateKeyPair(nil) }()
		der384, err := x509.MarshalPKCS8PrivateKey(k[keyP384])
		if err != nil {
			panic(err)
		}
		enc.legacyP384 = encryptedPEM(t, signer.CosignPrivateKeyPEMType, der384, testPassword, encrypted.Legacy)
		derEd, err := x509.MarshalPKCS8PrivateKey(k[keyEd25519])
		if err != nil {
			panic(err)
		}
		enc.ed25519 = encryptedPEM(t, signer.SigstorePrivateKeyPEMType, derEd, testPassword, encrypted.Legacy)
		sec1, err := x509.MarshalECPrivateKey(k[keyP256].(*ecdsa.PrivateKey))
		if err != nil {
			panic(err)
		}
		enc.sec1Inside = encryptedPEM(t, signer.SigstorePrivateKeyPEMType, sec1, testPassword, encrypted.Legacy)
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			panic(err)
		}
	})
	return &enc
}

// fixedPass returns a PassFunc that returns password and counts its calls.
func fixedPass(password string, calls *int) signer.PassFunc {
	return func(confirm bool) ([]byte, error) {
		if calls != nil {
			*calls++
		}
		if confirm {
			return nil, errors.New("confirm must be false when loading a key")
		}
		return []byte(password), nil
	}
}

// failPass is a PassFunc for keys that must not ask for a password.
func failPass(t *testing.T) signer.PassFunc {
	return func(bool) ([]byte, error) {
		t.Errorf("the password was asked for a key that is not encrypted")
		return nil, errors.New("unexpected")
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifyStdlib checks sig over msg with the standard library alone, with the
// algorithm tollgate documents for the key: ECDSA with SHA-256/384/512 by
// curve, RSA PKCS#1 v1.5 with SHA-256, Ed25519ph.
func verifyStdlib(pub crypto.PublicKey, msg, sig []byte) error {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		var h []byte
		switch p.Curve {
		case elliptic.P256():
			s := sha256.Sum256(msg)
			h = s[:]
		case elliptic.P384():
			s := sha512.Sum384(msg)
			h = s[:]
		case elliptic.P521():
			s := sha512.Sum512(msg)
			h = s[:]
		default:
			return fmt.Errorf("curve %s", p.Curve.Params().Name)
		}
		if !ecdsa.VerifyASN1(p, h, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case *rsa.PublicKey:
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, h[:], sig)
	case ed25519.PublicKey:
		h := sha512.Sum512(msg)
		return ed25519.VerifyWithOptions(p, h[:], sig, &ed25519.Options{Hash: crypto.SHA512})
	}
	return fmt.Errorf("key type %T", pub)
}

type equaler interface{ Equal(crypto.PublicKey) bool }

func samePublic(a, b crypto.PublicKey) bool {
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// noLeak fails the test when err's text holds any of the secrets.
func noLeak(t *testing.T, what string, err error, secrets ...[]byte) {
	t.Helper()
	if err == nil {
		return
	}
	msg := []byte(err.Error())
	for _, s := range secrets {
		if len(s) >= 6 && bytes.Contains(msg, s) {
			t.Errorf("%s error %q holds secret material %q", what, msg, s)
		}
	}
}

// pemSecrets returns substrings of a PEM file that must never appear in an
// error: every line of its base64 body and the start of its DER in hex.
func pemSecrets(data []byte) [][]byte {
	var out [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 0 && !bytes.HasPrefix(line, []byte("-----")) {
			out = append(out, line)
			if len(line) > 16 {
				out = append(out, line[:16], line[len(line)-16:])
			}
		}
	}
	if b, _ := pem.Decode(data); b != nil && len(b.Bytes) >= 16 {
		out = append(out, fmt.Appendf(nil, "%x", b.Bytes[:16]), fmt.Appendf(nil, "%X", b.Bytes[:16]))
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func x509MarshalPKCS8(k any) ([]byte, error) { return x509.MarshalPKCS8PrivateKey(k) }

func x509MarshalPKCS1Public(k crypto.Signer) []byte {
	return x509.MarshalPKCS1PublicKey(k.Public().(*rsa.PublicKey))
}
