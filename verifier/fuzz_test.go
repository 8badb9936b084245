package verifier_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/verifier"
)

// FuzzVerify feeds arbitrary bytes to Verify as a legacy payload and
// signature and as bundle JSON. Verify must never panic; against a random
// trusted key nothing may pass; against the key the seeds were signed with,
// whatever passes must name the subject digest; and every failure must be
// one of the documented kinds.
func FuzzVerify(f *testing.F) {
	k := testKeys(f)
	subject := mustHash(f, "sha256:"+hexA)
	random, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	vRandom, err := verifier.New(verifier.WithPublicKeys(verifier.TrustedKey{Name: "random", Key: random.Public()}))
	if err != nil {
		f.Fatal(err)
	}
	vSigner, err := verifier.New(verifier.WithPublicKeys(verifier.TrustedKey{Name: "signer", Key: k[keyP256].priv.Public()}))
	if err != nil {
		f.Fatal(err)
	}

	add := func(l, b evidence.Signature) { f.Add(l.Payload, l.Base64Signature, b.Bundle) }
	add(legacySig(f, keyP256, hexA, map[string]string{"env": "prod"}), bundleSig(f, keyP256, hexA, map[string]string{"env": "prod"}))
	add(legacySig(f, keyP256, hexB, nil), bundleSig(f, keyP256, hexB, nil))
	add(signLegacy(f, keyP256, []byte("{}")), attestationSig(f, keyP256, hexA, slsaPredicateType))
	add(legacySig(f, keyOther, hexA, nil), bundleSig(f, keyOther, hexA, nil))
	f.Add(readTestdata(f, "cosign/payload.json"), string(readTestdata(f, "cosign/payload.json.sig")), readTestdata(f, "cosign/bundle.json"))
	f.Add([]byte{}, "", readTestdata(f, "cosign/message-bundle.json"))
	f.Add([]byte("null"), "!!", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))

	known := []error{verifier.ErrInvalidSignature, verifier.ErrDigestMismatch, verifier.ErrNotASignature, verifier.ErrMissingAnnotation, evidence.ErrMalformed}
	f.Fuzz(func(t *testing.T, payload []byte, sig string, bundleJSON []byte) {
		sigs := []evidence.Signature{
			{Format: evidence.FormatLegacy, Source: "legacy", Payload: payload, Base64Signature: sig},
			{Format: evidence.FormatBundle, Source: "bundle", Bundle: bundleJSON},
		}
		res, err := vRandom.Verify(subject, sigs, verifier.Policy{})
		if !errors.Is(err, verifier.ErrDenied) {
			t.Fatalf("Verify with a random key error = %v, want %v", err, verifier.ErrDenied)
		}
		for _, r := range res.Signatures {
			if r.Err == nil || r.Key != "" || r.KeyID != "" {
				t.Fatalf("Verify with a random key: %s passed or names a key: %+v", r.Source, r)
			}
		}

		res, _ = vSigner.Verify(subject, sigs, verifier.Policy{})
		if len(res.Signatures) != 2 {
			t.Fatalf("Verify reports %d signatures, want 2", len(res.Signatures))
		}
		for _, r := range res.Signatures {
			if r.Err != nil {
				if !isOneOf(r.Err, known) {
					t.Fatalf("Verify: %s failed with %v, not one of the documented errors", r.Source, r.Err)
				}
				continue
			}
			if r.Key != "signer" {
				t.Fatalf("Verify: %s passed with key %q, want signer", r.Source, r.Key)
			}
			switch r.Format {
			case evidence.FormatLegacy:
				ss, err := evidence.ParseSimpleSigning(payload)
				if err != nil || ss.Digest != subject {
					t.Fatalf("Verify passed a legacy payload %q that does not name %s (%v)", payload, subject, err)
				}
			case evidence.FormatBundle:
				b := &bundle.Bundle{}
				if err := b.UnmarshalJSON(bundleJSON); err != nil {
					t.Fatalf("Verify passed a bundle sigstore-go does not parse: %v", err)
				}
				st, err := evidence.ParseStatement(b.GetDsseEnvelope().GetPayload())
				if err != nil || !evidence.StatementNames(st, subject) || st.GetPredicateType() != evidence.CosignSignPredicateType {
					t.Fatalf("Verify passed a bundle whose statement is not a signature of %s: %v, %v", subject, st, err)
				}
			}
		}
	})
}

func isOneOf(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
