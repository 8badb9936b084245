package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// sigstoreVerify verifies a bundle with sigstore-go, trusting only pub, for
// the artifact digest d.
func sigstoreVerify(t *testing.T, b *bundle.Bundle, pub crypto.PublicKey, d v1.Hash) error {
	t.Helper()
	sv, err := signature.LoadDefaultVerifier(pub, options.WithED25519ph())
	if err != nil {
		t.Fatal(err)
	}
	tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	digest, err := hex.DecodeString(d.Hex)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(d.Algorithm, digest), verify.WithKey()))
	return err
}

func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

func TestDSSEBundle(t *testing.T) {
	k := testKeys(t)
	d, err := v1.NewHash("sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		t.Fatal(err)
	}
	other, err := v1.NewHash("sha256:cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		t.Fatal(err)
	}
	statement, err := evidence.SignStatement(d, map[string]string{"env": "prod"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range supportedKeys {
		t.Run(name, func(t *testing.T) {
			s, err := signer.ParsePrivateKey(pkcs8PEM(t, k[name]), nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := signer.DSSEBundle(context.Background(), s, inTotoPayloadType, statement)
			if err != nil {
				t.Fatalf("DSSEBundle(%s) error = %v", name, err)
			}
			b := &bundle.Bundle{}
			if err := b.UnmarshalJSON(out); err != nil {
				t.Fatalf("sigstore-go cannot parse DSSEBundle(%s): %v\n%s", name, err, out)
			}
			if got := b.GetMediaType(); got != evidence.BundleMediaType {
				t.Errorf("DSSEBundle(%s) media type = %q, want %q", name, got, evidence.BundleMediaType)
			}
			wantHint, err := signer.PublicKeyHint(k[name].Public())
			if err != nil {
				t.Fatal(err)
			}
			if got := b.GetVerificationMaterial().GetPublicKey().GetHint(); got != wantHint {
				t.Errorf("DSSEBundle(%s) public key hint = %q, want %q", name, got, wantHint)
			}
			if vm := b.GetVerificationMaterial(); vm.GetCertificate() != nil || vm.GetX509CertificateChain() != nil || len(vm.GetTlogEntries()) != 0 {
				t.Errorf("DSSEBundle(%s) carries certificates or tlog entries; a key bundle must not", name)
			}
			env := b.GetDsseEnvelope()
			if env == nil {
				t.Fatalf("DSSEBundle(%s) holds no DSSE envelope", name)
			}
			if env.GetPayloadType() != inTotoPayloadType || !bytes.Equal(env.GetPayload(), statement) {
				t.Errorf("DSSEBundle(%s) envelope = (%q, %q), want (%q, %q)", name, env.GetPayloadType(), env.GetPayload(), inTotoPayloadType, statement)
			}
			if n := len(env.GetSignatures()); n != 1 {
				t.Fatalf("DSSEBundle(%s) has %d signatures, want 1", name, n)
			}
			// The DSSE signature, checked with the standard library over the
			// pre-authentication encoding.
			if err := verifyStdlib(k[name].Public(), pae(inTotoPayloadType, statement), env.GetSignatures()[0].GetSig()); err != nil {
				t.Errorf("DSSE signature of DSSEBundle(%s) does not verify: %v", name, err)
			}
			// sigstore-go's verifier accepts it for the statement's digest...
			if err := sigstoreVerify(t, b, k[name].Public(), d); err != nil {
				t.Errorf("sigstore-go Verify(DSSEBundle(%s), %v) = %v, want nil", name, d, err)
			}
			// ...and refuses it for another digest and for another key.
			if err := sigstoreVerify(t, b, k[name].Public(), other); err == nil {
				t.Errorf("sigstore-go Verify(DSSEBundle(%s), %v) = nil, want an error", name, other)
			}
			if err := sigstoreVerify(t, b, k[otherKey(name)].Public(), d); err == nil {
				t.Errorf("sigstore-go Verify(DSSEBundle(%s)) with key %s = nil, want an error", name, otherKey(name))
			}
		})
	}
}

// TestDSSEBundleAnyPayload checks that the payload type and bytes are carried
// as given.
func TestDSSEBundleAnyPayload(t *testing.T) {
	s, err := signer.ParsePrivateKey(pkcs8PEM(t, testKeys(t)[keyP256]), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range [][]byte{nil, []byte("x"), []byte("\x00\xff binary")} {
		out, err := signer.DSSEBundle(context.Background(), s, "text/plain", payload)
		if err != nil {
			t.Fatalf("DSSEBundle(%q) error = %v", payload, err)
		}
		b := &bundle.Bundle{}
		if err := b.UnmarshalJSON(out); err != nil {
			t.Fatalf("sigstore-go cannot parse DSSEBundle(%q): %v", payload, err)
		}
		env := b.GetDsseEnvelope()
		if env.GetPayloadType() != "text/plain" || !bytes.Equal(env.GetPayload(), payload) {
			t.Errorf("DSSEBundle(%q) envelope = (%q, %q), want (text/plain, %q)", payload, env.GetPayloadType(), env.GetPayload(), payload)
		}
		if err := verifyStdlib(s.Public(), pae("text/plain", payload), env.GetSignatures()[0].GetSig()); err != nil {
			t.Errorf("DSSE signature of DSSEBundle(%q) does not verify: %v", payload, err)
		}
	}
}

// fakeSigner is a Signer with a chosen public key and failure.
type fakeSigner struct {
	pub crypto.PublicKey
	err error
}

func (f fakeSigner) Public() crypto.PublicKey { return f.pub }
func (f fakeSigner) Sign(context.Context, []byte) ([]byte, error) {
	return []byte("sig"), f.err
}

func TestDSSEBundleErrors(t *testing.T) {
	k := testKeys(t)
	errHSM := errors.New("token removed")
	tests := []struct {
		name    string
		s       signer.Signer
		wantErr error
	}{
		{name: "signer fails", s: fakeSigner{pub: k[keyP256].Public(), err: errHSM}, wantErr: errHSM},
		{name: "unsupported curve", s: fakeSigner{pub: k[keyP224].Public()}, wantErr: signer.ErrUnsupportedKey},
		{name: "X25519", s: fakeSigner{pub: x25519.Public()}, wantErr: signer.ErrUnsupportedKey},
		{name: "no public key", s: fakeSigner{}, wantErr: signer.ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := signer.DSSEBundle(context.Background(), tt.s, inTotoPayloadType, []byte("{}"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DSSEBundle(%s) error = %v, want %v", tt.name, err, tt.wantErr)
			}
			if out != nil {
				t.Errorf("DSSEBundle(%s) = %q with error, want nil", tt.name, out)
			}
		})
	}
}

func TestPublicKeyHint(t *testing.T) {
	k := testKeys(t)
	// The hints cosign v3 wrote in testdata bundles made with these keys
	// (cosign attest-blob --new-bundle-format, cosign sign-blob --bundle).
	for _, tt := range []struct{ pub, want string }{
		{pub: "cosign-v2.pub", want: "+F48fZUpAic1C86hfeNnIGi5ZWGY0Bod+BmdaKzirHo="},
		{pub: "cosign-v3.pub", want: "QbT05NTu6ZrdfOhnoUCHHoJ0M4lpxBKVDUUdCENKMtg="},
	} {
		pub, err := signer.ParsePublicKey(readTestdata(t, tt.pub))
		if err != nil {
			t.Fatal(err)
		}
		got, err := signer.PublicKeyHint(pub)
		if err != nil || got != tt.want {
			t.Errorf("PublicKeyHint(%s) = %q, %v, want %q, nil", tt.pub, got, err, tt.want)
		}
	}
	// Defined as the base64 SHA-256 of the PKIX encoding, for every key type.
	seen := map[string]string{}
	for _, name := range supportedKeys {
		pub := k[name].Public()
		got, err := signer.PublicKeyHint(pub)
		if err != nil {
			t.Fatalf("PublicKeyHint(%s) error = %v", name, err)
		}
		sum := sha256.Sum256(pem2der(publicPEM(t, pub)))
		if want := b64(sum[:]); got != want {
			t.Errorf("PublicKeyHint(%s) = %q, want %q", name, got, want)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("PublicKeyHint(%s) = PublicKeyHint(%s) = %q", name, prev, got)
		}
		seen[got] = name
	}
	for _, bad := range []struct {
		name string
		pub  crypto.PublicKey
	}{{"nil", nil}, {"string", "key"}, {"private key", k[keyP256]}} {
		if got, err := signer.PublicKeyHint(bad.pub); !errors.Is(err, signer.ErrUnsupportedKey) {
			t.Errorf("PublicKeyHint(%s) = %q, %v, want %v", bad.name, got, err, signer.ErrUnsupportedKey)
		}
	}
}
