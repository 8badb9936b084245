package signer_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/tollgate-dev/tollgate/signer"
)

// FuzzParsePrivateKey feeds arbitrary bytes to ParsePrivateKey with a fixed
// password: it must never panic, every error must wrap one of the package's
// sentinels and hold neither the password nor the input, and a key it
// accepts must sign.
func FuzzParsePrivateKey(f *testing.F) {
	k := testKeys(f)
	for _, name := range supportedKeys {
		f.Add(pkcs8PEM(f, k[name]))
	}
	f.Add(sec1PEM(f, k[keyP384]))
	f.Add(pkcs1PEM(k[keyRSA2048]))
	f.Add(pkcs8PEM(f, k[keyP224]))
	f.Add(pkcs1PEM(k[keyRSA1024]))
	f.Add(publicPEM(f, k[keyP256].Public()))
	f.Add(certificatePEM(f, k[keyP256]))
	f.Add(pemBlock("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}))
	f.Add(pemBlock(signer.CosignPrivateKeyPEMType, []byte(`{"kdf":{"name":"scrypt","params":{"N":1,"r":1,"p":1}},"cipher":{"name":"nacl/secretbox"}}`)))
	// One encrypted key with the fuzz password. Mutations that keep it valid
	// JSON with cosign's scrypt parameters cost one scrypt run (~0.1s) each,
	// so only one such seed is given.
	der, err := x509MarshalPKCS8(k[keyP256])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encryptedPEM(f, signer.SigstorePrivateKeyPEMType, der, fuzzPassword, encrypted.Legacy))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := signer.ParsePrivateKey(data, func(bool) ([]byte, error) { return []byte(fuzzPassword), nil })
		if err != nil {
			if s != nil {
				t.Fatalf("ParsePrivateKey(%q) = %v with error %v", data, s, err)
			}
			if !errors.Is(err, signer.ErrUnsupportedKey) && !errors.Is(err, signer.ErrWrongPassword) && !errors.Is(err, signer.ErrNoPassword) {
				t.Fatalf("ParsePrivateKey(%q) error = %v, wraps no sentinel of the package", data, err)
			}
			noLeak(t, "ParsePrivateKey", err, []byte(fuzzPassword))
			if len(data) >= 24 {
				noLeak(t, "ParsePrivateKey", err, data)
			}
			return
		}
		if _, err := signer.AlgorithmDetails(s.Public()); err != nil {
			t.Fatalf("ParsePrivateKey(%q) accepted a key of unsupported type %T: %v", data, s.Public(), err)
		}
		msg := []byte("fuzz")
		sig, err := s.Sign(context.Background(), msg)
		if err != nil {
			t.Fatalf("Sign with ParsePrivateKey(%q) error = %v", data, err)
		}
		if err := verifyStdlib(s.Public(), msg, sig); err != nil {
			t.Fatalf("signature by ParsePrivateKey(%q) does not verify: %v", data, err)
		}
	})
}

const fuzzPassword = "fuzz-password"

// FuzzParsePublicKey feeds arbitrary bytes to ParsePublicKey: it must never
// panic, errors must wrap ErrUnsupportedKey, and an accepted key must have a
// PKIX encoding (hence a hint).
func FuzzParsePublicKey(f *testing.F) {
	k := testKeys(f)
	for _, name := range supportedKeys {
		f.Add(publicPEM(f, k[name].Public()))
	}
	f.Add(pemBlock("RSA PUBLIC KEY", x509MarshalPKCS1Public(k[keyRSA2048])))
	f.Add(pkcs8PEM(f, k[keyP256]))
	f.Add(certificatePEM(f, k[keyEd25519]))
	f.Add([]byte("ssh-ed25519 AAAA"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := signer.ParsePublicKey(data)
		if err != nil {
			if pub != nil {
				t.Fatalf("ParsePublicKey(%q) = %v with error %v", data, pub, err)
			}
			if !errors.Is(err, signer.ErrUnsupportedKey) {
				t.Fatalf("ParsePublicKey(%q) error = %v, want it to wrap %v", data, err, signer.ErrUnsupportedKey)
			}
			return
		}
		if pub == nil {
			t.Fatalf("ParsePublicKey(%q) = nil, nil", data)
		}
		if _, err := signer.PublicKeyHint(pub); err != nil {
			t.Fatalf("PublicKeyHint(ParsePublicKey(%q)) error = %v", data, err)
		}
	})
}
