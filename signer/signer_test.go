package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/tollgate-dev/tollgate/signer"
)

func TestSign(t *testing.T) {
	k := testKeys(t)
	msg := []byte(`{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"}}}`)
	for _, name := range supportedKeys {
		t.Run(name, func(t *testing.T) {
			s, err := signer.ParsePrivateKey(pkcs8PEM(t, k[name]), nil)
			if err != nil {
				t.Fatal(err)
			}
			pub := k[name].Public()
			sig, err := s.Sign(context.Background(), msg)
			if err != nil {
				t.Fatalf("Sign(%q) error = %v", msg, err)
			}
			// sigstore's verifier for the key's default algorithm, as cosign
			// signs with it (Ed25519 keys in Ed25519ph mode).
			v, err := signature.LoadDefaultVerifier(pub, options.WithED25519ph())
			if err != nil {
				t.Fatal(err)
			}
			if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
				t.Errorf("sigstore VerifySignature(Sign(%q)) = %v, want nil", msg, err)
			}
			// The standard library, with the documented hash for the key.
			if err := verifyStdlib(pub, msg, sig); err != nil {
				t.Errorf("stdlib verification of Sign(%q) = %v, want nil", msg, err)
			}
			// A signature is for its message only.
			other := append(bytes.Clone(msg), ' ')
			if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(other)); err == nil {
				t.Errorf("sigstore VerifySignature(Sign(%q)) verifies for another message", msg)
			}
			// And for its key only.
			if err := verifyStdlib(testKeys(t)[otherKey(name)].Public(), msg, sig); err == nil {
				t.Errorf("signature by %s verifies with %s", name, otherKey(name))
			}
		})
	}
}

func otherKey(name string) string {
	for _, n := range supportedKeys {
		if n != name {
			return n
		}
	}
	return ""
}

// TestSignWithCosignKey signs with the key cosign generated and checks the
// signature against cosign's public key file, and cosign's own signature
// (testdata/message.txt.sig, from cosign sign-blob) against the same key.
func TestSignWithCosignKey(t *testing.T) {
	s, err := signer.ParsePrivateKey(readTestdata(t, "cosign-v2.key"), fixedPass(testPassword, nil))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signer.LoadPublicKey(context.Background(), "testdata/cosign-v2.pub")
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	msg := readTestdata(t, "message.txt")
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
		t.Errorf("signature by the cosign key does not verify with cosign's .pub: %v", err)
	}
	cosignSig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(readTestdata(t, "message.txt.sig"))))
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyStdlib(s.Public(), msg, cosignSig); err != nil {
		t.Errorf("cosign's signature does not verify with the loaded key's public half: %v", err)
	}
}

func TestAlgorithmDetails(t *testing.T) {
	k := testKeys(t)
	tests := []struct {
		key  string
		hash crypto.Hash
		alg  protocommon.PublicKeyDetails
	}{
		{key: keyP256, hash: crypto.SHA256, alg: protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256},
		{key: keyP384, hash: crypto.SHA384, alg: protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384},
		{key: keyP521, hash: crypto.SHA512, alg: protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512},
		{key: keyRSA2048, hash: crypto.SHA256, alg: protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256},
		{key: keyEd25519, hash: crypto.SHA512, alg: protocommon.PublicKeyDetails_PKIX_ED25519_PH},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			d, err := signer.AlgorithmDetails(k[tt.key].Public())
			if err != nil {
				t.Fatalf("AlgorithmDetails(%s) error = %v", tt.key, err)
			}
			if got := d.GetHashType(); got != tt.hash {
				t.Errorf("AlgorithmDetails(%s).GetHashType() = %v, want %v", tt.key, got, tt.hash)
			}
			if got := d.GetSignatureAlgorithm(); got != tt.alg {
				t.Errorf("AlgorithmDetails(%s).GetSignatureAlgorithm() = %v, want %v", tt.key, got, tt.alg)
			}
		})
	}
	for _, bad := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"P-224", k[keyP224].Public()},
		{"X25519", x25519.Public()},
		{"nil", nil},
	} {
		if _, err := signer.AlgorithmDetails(bad.pub); !errors.Is(err, signer.ErrUnsupportedKey) {
			t.Errorf("AlgorithmDetails(%s) error = %v, want %v", bad.name, err, signer.ErrUnsupportedKey)
		}
	}
}
