package verifier_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

// want describes the expected outcome for one signature.
type want struct {
	err         error // nil: the signature is valid
	key         string
	dockerRef   string
	annotations map[string]string
}

type verifyCase struct {
	name    string
	trusted []string
	subject string // hex of the sha256 subject; hexA when empty
	sigs    []evidence.Signature
	policy  verifier.Policy
	want    []want
}

// check runs Verify and checks the Result and the error against tc.
func (tc verifyCase) check(t *testing.T) {
	t.Helper()
	trusted := tc.trusted
	if trusted == nil {
		trusted = []string{keyP256}
	}
	v := newVerifier(t, trusted...)
	subjectHex := tc.subject
	if subjectHex == "" {
		subjectHex = hexA
	}
	subject := mustHash(t, "sha256:"+subjectHex)

	res, err := v.Verify(subject, tc.sigs, tc.policy)
	if res == nil {
		t.Fatalf("Verify(%s) = nil, %v; want a Result", subject, err)
	}
	if res.Digest != subject {
		t.Errorf("Verify(%s).Digest = %s, want %s", subject, res.Digest, subject)
	}
	if len(res.Signatures) != len(tc.want) {
		t.Fatalf("Verify(%s) reports %d signatures, want %d", subject, len(res.Signatures), len(tc.want))
	}
	valid, failed := 0, 0
	for i, w := range tc.want {
		got := res.Signatures[i]
		if w.err == nil {
			valid++
			if got.Err != nil {
				t.Errorf("signature %d (%s): Err = %v, want nil", i, got.Source, got.Err)
			}
		} else {
			failed++
			if !errors.Is(got.Err, w.err) {
				t.Errorf("signature %d (%s): Err = %v, want %v", i, got.Source, got.Err, w.err)
			}
		}
		if got.Format != tc.sigs[i].Format || got.Source != tc.sigs[i].Source {
			t.Errorf("signature %d: Format, Source = %q, %q, want %q, %q", i, got.Format, got.Source, tc.sigs[i].Format, tc.sigs[i].Source)
		}
		if got.Key != w.key {
			t.Errorf("signature %d (%s): Key = %q, want %q", i, got.Source, got.Key, w.key)
		}
		wantID := ""
		if w.key != "" {
			wantID = trustedKey(t, w.key).ID()
		}
		if got.KeyID != wantID {
			t.Errorf("signature %d (%s): KeyID = %q, want %q", i, got.Source, got.KeyID, wantID)
		}
		if got.DockerReference != w.dockerRef {
			t.Errorf("signature %d (%s): DockerReference = %q, want %q", i, got.Source, got.DockerReference, w.dockerRef)
		}
		if diff := cmp.Diff(w.annotations, got.Annotations); diff != "" {
			t.Errorf("signature %d (%s): Annotations mismatch (-want +got):\n%s", i, got.Source, diff)
		}
	}
	if n := len(res.Verified()); n != valid {
		t.Errorf("len(Verify(%s).Verified()) = %d, want %d", subject, n, valid)
	}
	if valid > 0 {
		if err != nil {
			t.Errorf("Verify(%s) error = %v, want nil", subject, err)
		}
		return
	}
	if !errors.Is(err, verifier.ErrDenied) {
		t.Fatalf("Verify(%s) error = %v, want %v", subject, err, verifier.ErrDenied)
	}
	var denied *verifier.DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("Verify(%s) error = %T, want *verifier.DeniedError", subject, err)
	}
	if denied.Digest != subject || len(denied.Reasons) != failed {
		t.Errorf("DeniedError = {Digest: %s, %d reasons}, want {Digest: %s, %d reasons}", denied.Digest, len(denied.Reasons), subject, failed)
	}
	if got := errors.Is(err, verifier.ErrNoSignatures); got != (len(tc.sigs) == 0) {
		t.Errorf("errors.Is(%v, ErrNoSignatures) = %v, want %v", err, got, len(tc.sigs) == 0)
	}
	for _, w := range tc.want {
		if !errors.Is(err, w.err) {
			t.Errorf("errors.Is(%v, %v) = false, want the reason reachable from the DeniedError", err, w.err)
		}
	}
}

func TestVerify(t *testing.T) {
	prod := map[string]string{"env": "prod"}
	const repo = "ghcr.io/acme/app"
	tests := []verifyCase{
		{
			name: "valid legacy signature",
			sigs: []evidence.Signature{legacySig(t, keyP256, hexA, nil)},
			want: []want{{key: keyP256, dockerRef: repo}},
		},
		{
			name: "valid bundle",
			sigs: []evidence.Signature{bundleSig(t, keyP256, hexA, nil)},
			want: []want{{key: keyP256}},
		},
		{
			name: "legacy signature by another key",
			sigs: []evidence.Signature{legacySig(t, keyOther, hexA, nil)},
			want: []want{{err: verifier.ErrInvalidSignature}},
		},
		{
			name: "bundle by another key",
			sigs: []evidence.Signature{bundleSig(t, keyOther, hexA, nil)},
			want: []want{{err: verifier.ErrInvalidSignature}},
		},
		{
			name: "bundle by another key for another digest",
			sigs: []evidence.Signature{bundleSig(t, keyOther, hexB, nil)},
			want: []want{{err: verifier.ErrInvalidSignature}},
		},
		{
			name: "legacy payload naming another digest",
			sigs: []evidence.Signature{legacySig(t, keyP256, hexB, nil)},
			want: []want{{err: verifier.ErrDigestMismatch, key: keyP256, dockerRef: repo}},
		},
		{
			name: "bundle made for another digest",
			sigs: []evidence.Signature{bundleSig(t, keyP256, hexB, nil)},
			want: []want{{err: verifier.ErrDigestMismatch, key: keyP256}},
		},
		{
			name: "bundle that is an attestation",
			sigs: []evidence.Signature{attestationSig(t, keyP256, hexA, slsaPredicateType)},
			want: []want{{err: verifier.ErrNotASignature, key: keyP256}},
		},
		{
			name: "attestation for another digest",
			sigs: []evidence.Signature{attestationSig(t, keyP256, hexB, slsaPredicateType)},
			want: []want{{err: verifier.ErrDigestMismatch, key: keyP256}},
		},
		{
			name:   "required annotation present (legacy)",
			sigs:   []evidence.Signature{legacySig(t, keyP256, hexA, map[string]string{"env": "prod", "extra": "x"})},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{key: keyP256, dockerRef: repo, annotations: map[string]string{"env": "prod", "extra": "x"}}},
		},
		{
			name:   "required annotation present (bundle)",
			sigs:   []evidence.Signature{bundleSig(t, keyP256, hexA, map[string]string{"env": "prod", "extra": "x"})},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{key: keyP256, annotations: map[string]string{"env": "prod", "extra": "x"}}},
		},
		{
			name:   "required annotation absent (legacy)",
			sigs:   []evidence.Signature{legacySig(t, keyP256, hexA, nil)},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{err: verifier.ErrMissingAnnotation, key: keyP256, dockerRef: repo}},
		},
		{
			name:   "required annotation absent (bundle)",
			sigs:   []evidence.Signature{bundleSig(t, keyP256, hexA, map[string]string{"other": "x"})},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{err: verifier.ErrMissingAnnotation, key: keyP256, annotations: map[string]string{"other": "x"}}},
		},
		{
			name:   "required annotation differs (legacy)",
			sigs:   []evidence.Signature{legacySig(t, keyP256, hexA, map[string]string{"env": "dev"})},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{err: verifier.ErrMissingAnnotation, key: keyP256, dockerRef: repo, annotations: map[string]string{"env": "dev"}}},
		},
		{
			name:   "required annotation differs (bundle)",
			sigs:   []evidence.Signature{bundleSig(t, keyP256, hexA, map[string]string{"env": "Prod"})},
			policy: verifier.Policy{Annotations: prod},
			want:   []want{{err: verifier.ErrMissingAnnotation, key: keyP256, annotations: map[string]string{"env": "Prod"}}},
		},
		{
			name:   "required empty annotation",
			sigs:   []evidence.Signature{withSource(legacySig(t, keyP256, hexA, map[string]string{"k": ""}), "present"), withSource(legacySig(t, keyP256, hexA, nil), "absent")},
			policy: verifier.Policy{Annotations: map[string]string{"k": ""}},
			want: []want{
				{key: keyP256, dockerRef: repo, annotations: map[string]string{"k": ""}},
				{err: verifier.ErrMissingAnnotation, key: keyP256, dockerRef: repo},
			},
		},
		{
			name: "malformed base64",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexA, nil)
				s.Base64Signature = "not base64!"
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "URL-safe base64",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexA, nil)
				sig, _ := base64.StdEncoding.DecodeString(s.Base64Signature)
				s.Base64Signature = strings.TrimRight(base64.URLEncoding.EncodeToString(sig), "=") + "-_"
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "no signature annotation",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexA, nil)
				s.Base64Signature = ""
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "malformed payload with a valid signature",
			sigs: []evidence.Signature{signLegacy(t, keyP256, []byte(`{"critical":{"type":"cosign container image signature"}}`))},
			want: []want{{err: evidence.ErrMalformed, key: keyP256}},
		},
		{
			name: "payload that is not JSON with a valid signature",
			sigs: []evidence.Signature{signLegacy(t, keyP256, []byte("hello"))},
			want: []want{{err: evidence.ErrMalformed, key: keyP256}},
		},
		{
			name: "payload changed after signing",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexB, nil)
				s.Payload = bytes.ReplaceAll(s.Payload, []byte(hexB), []byte(hexA))
				return s
			}()},
			want: []want{{err: verifier.ErrInvalidSignature}},
		},
		{
			name: "malformed bundle JSON",
			sigs: []evidence.Signature{{Format: evidence.FormatBundle, Source: "b", Bundle: []byte(`{"mediaType":`)}},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "empty bundle",
			sigs: []evidence.Signature{{Format: evidence.FormatBundle, Source: "b"}},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "bundle of an unknown media type",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := bundleSig(t, keyP256, hexA, nil)
				s.Bundle = bytes.Replace(s.Bundle, []byte("bundle.v0.3+json"), []byte("bundle.v9+json"), 1)
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "bundle whose statement was changed after signing",
			sigs: []evidence.Signature{tamperBundleStatement(t, bundleSig(t, keyP256, hexB, nil), hexB, hexA)},
			want: []want{{err: verifier.ErrInvalidSignature}},
		},
		{
			name: "bundle labelled legacy",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := bundleSig(t, keyP256, hexA, nil)
				s.Format = evidence.FormatLegacy
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "legacy signature labelled bundle",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexA, nil)
				s.Format = evidence.FormatBundle
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "unknown format",
			sigs: []evidence.Signature{func() evidence.Signature {
				s := legacySig(t, keyP256, hexA, nil)
				s.Format = "oci"
				return s
			}()},
			want: []want{{err: evidence.ErrMalformed}},
		},
		{
			name: "no signatures at all",
			want: []want{},
		},
		{
			name: "several signatures, only one valid",
			sigs: []evidence.Signature{
				withSource(legacySig(t, keyOther, hexA, nil), "other key"),
				withSource(legacySig(t, keyP256, hexB, nil), "other digest"),
				withSource(bundleSig(t, keyP256, hexA, map[string]string{"env": "dev"}), "wrong annotation"),
				withSource(attestationSig(t, keyP256, hexA, slsaPredicateType), "attestation"),
				withSource(evidence.Signature{Format: evidence.FormatBundle, Bundle: []byte("{")}, "garbage"),
				withSource(legacySig(t, keyP256, hexA, prod), "the valid one"),
				withSource(legacySig(t, keyP256, hexA, nil), "no annotation"),
			},
			policy: verifier.Policy{Annotations: prod},
			want: []want{
				{err: verifier.ErrInvalidSignature},
				{err: verifier.ErrDigestMismatch, key: keyP256, dockerRef: repo},
				{err: verifier.ErrMissingAnnotation, key: keyP256, annotations: map[string]string{"env": "dev"}},
				{err: verifier.ErrNotASignature, key: keyP256},
				{err: evidence.ErrMalformed},
				{key: keyP256, dockerRef: repo, annotations: prod},
				{err: verifier.ErrMissingAnnotation, key: keyP256, dockerRef: repo},
			},
		},
		{
			name: "several valid signatures",
			sigs: []evidence.Signature{
				withSource(legacySig(t, keyP256, hexA, nil), "legacy"),
				withSource(bundleSig(t, keyP256, hexA, nil), "bundle"),
			},
			want: []want{{key: keyP256, dockerRef: repo}, {key: keyP256}},
		},
		{
			name: "several signatures, none valid",
			sigs: []evidence.Signature{
				withSource(legacySig(t, keyOther, hexA, nil), "other key"),
				withSource(bundleSig(t, keyP256, hexB, nil), "other digest"),
			},
			want: []want{{err: verifier.ErrInvalidSignature}, {err: verifier.ErrDigestMismatch, key: keyP256}},
		},
		{
			name:    "the key that verified is reported among several trusted",
			trusted: []string{keyP384, keyEd25519, keyP256},
			sigs:    []evidence.Signature{withSource(legacySig(t, keyEd25519, hexA, nil), "ed"), withSource(bundleSig(t, keyP256, hexA, nil), "p256")},
			want:    []want{{key: keyEd25519, dockerRef: repo}, {key: keyP256}},
		},
		{
			name: "docker-reference naming another repository",
			sigs: []evidence.Signature{signLegacy(t, keyP256, legacyPayload(t, "registry.example/elsewhere/copy", hexA, nil))},
			want: []want{{key: keyP256, dockerRef: "registry.example/elsewhere/copy"}},
		},
		{
			name: "docker-reference empty",
			sigs: []evidence.Signature{signLegacy(t, keyP256, []byte(`{"critical":{"identity":{},"image":{"docker-manifest-digest":"sha256:`+hexA+`"},"type":"cosign container image signature"},"optional":null}`))},
			want: []want{{key: keyP256}},
		},
	}
	// Keys of each type, in both formats.
	for _, k := range allKeys {
		tests = append(tests,
			verifyCase{
				name:    "legacy " + k,
				trusted: []string{k},
				sigs:    []evidence.Signature{legacySig(t, k, hexA, prod)},
				want:    []want{{key: k, dockerRef: repo, annotations: prod}},
			},
			verifyCase{
				name:    "bundle " + k,
				trusted: []string{k},
				sigs:    []evidence.Signature{bundleSig(t, k, hexA, prod)},
				policy:  verifier.Policy{Annotations: prod},
				want:    []want{{key: k, annotations: prod}},
			},
			verifyCase{
				name:    "legacy " + k + " by another key",
				trusted: []string{k},
				sigs:    []evidence.Signature{legacySig(t, keyOther, hexA, nil)},
				want:    []want{{err: verifier.ErrInvalidSignature}},
			},
			verifyCase{
				name:    "bundle " + k + " by another key",
				trusted: []string{k},
				sigs:    []evidence.Signature{bundleSig(t, keyOther, hexA, nil)},
				want:    []want{{err: verifier.ErrInvalidSignature}},
			},
			verifyCase{
				// The signature is genuine, so the report names its key, as
				// for a legacy signature made for another digest.
				name:    "bundle " + k + " for another digest",
				trusted: []string{k},
				sigs:    []evidence.Signature{bundleSig(t, k, hexB, nil)},
				want:    []want{{key: k, err: verifier.ErrDigestMismatch}},
			},
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

// tamperBundleStatement replaces from with to in the bundle's DSSE payload,
// leaving the signature as it was.
func tamperBundleStatement(t *testing.T, s evidence.Signature, from, to string) evidence.Signature {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(s.Bundle, &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	p, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.ReplaceAll(p, []byte(from), []byte(to)))
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	s.Bundle = out
	return s
}

func TestVerifyDigestMismatchError(t *testing.T) {
	v := newVerifier(t, keyP256)
	a, b := mustHash(t, "sha256:"+hexA), mustHash(t, "sha256:"+hexB)
	for _, s := range []evidence.Signature{
		legacySig(t, keyP256, hexB, nil),
		bundleSig(t, keyP256, hexB, nil),
	} {
		t.Run(string(s.Format), func(t *testing.T) {
			res, err := v.Verify(a, []evidence.Signature{s}, verifier.Policy{})
			var dm *verifier.DigestMismatchError
			if !errors.As(err, &dm) {
				t.Fatalf("Verify(%s) error = %v, want a *DigestMismatchError", a, err)
			}
			if dm.Want != a || dm.Got != b {
				t.Errorf("DigestMismatchError = {Want: %s, Got: %s}, want {Want: %s, Got: %s}", dm.Want, dm.Got, a, b)
			}
			if !errors.Is(dm, verifier.ErrDigestMismatch) || !errors.Is(err, verifier.ErrDenied) {
				t.Errorf("errors.Is(%v, ErrDigestMismatch) or errors.Is(%v, ErrDenied) = false, want true", dm, err)
			}
			if !errors.As(res.Signatures[0].Err, &dm) || dm.Got != b {
				t.Errorf("Result.Signatures[0].Err = %v, want a *DigestMismatchError for %s", res.Signatures[0].Err, b)
			}
		})
	}
}

func TestVerifyAnnotationError(t *testing.T) {
	v := newVerifier(t, keyP256)
	a := mustHash(t, "sha256:"+hexA)
	policy := verifier.Policy{Annotations: map[string]string{"env": "prod", "team": "core", "tier": "1"}}
	for _, s := range []evidence.Signature{
		legacySig(t, keyP256, hexA, map[string]string{"env": "dev", "tier": "1"}),
		bundleSig(t, keyP256, hexA, map[string]string{"env": "dev", "tier": "1"}),
	} {
		t.Run(string(s.Format), func(t *testing.T) {
			res, err := v.Verify(a, []evidence.Signature{s}, policy)
			if !errors.Is(err, verifier.ErrMissingAnnotation) {
				t.Fatalf("Verify(%s) error = %v, want %v", a, err, verifier.ErrMissingAnnotation)
			}
			// Every unsatisfied annotation is reported, in key order.
			var got []verifier.AnnotationError
			collectAnnotationErrors(res.Signatures[0].Err, &got)
			wantErrs := []verifier.AnnotationError{
				{Key: "env", Want: "prod", Got: "dev", Present: true},
				{Key: "team", Want: "core", Present: false},
			}
			if diff := cmp.Diff(wantErrs, got); diff != "" {
				t.Errorf("AnnotationErrors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func collectAnnotationErrors(err error, out *[]verifier.AnnotationError) {
	if ae, ok := err.(*verifier.AnnotationError); ok {
		*out = append(*out, *ae)
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collectAnnotationErrors(e, out)
		}
	case interface{ Unwrap() error }:
		collectAnnotationErrors(u.Unwrap(), out)
	}
}

// TestVerifyOtherSigningModes checks the signatures older or other cosign
// releases made, which the verifier accepts: ECDSA P-384 over SHA-256 (cosign
// v2 loads verification keys with SHA-256), and pure Ed25519 (cosign before
// Ed25519ph).
func TestVerifyOtherSigningModes(t *testing.T) {
	k := testKeys(t)
	payload := legacyPayload(t, "ghcr.io/acme/app", hexA, nil)
	sv, err := signature.LoadSignerVerifier(k[keyP384].priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	p384sha256, err := sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	pureEd := ed25519.Sign(k[keyEd25519].priv.(ed25519.PrivateKey), payload)
	tests := []verifyCase{
		{
			name:    "P-384 with SHA-256",
			trusted: []string{keyP384},
			sigs:    []evidence.Signature{{Format: evidence.FormatLegacy, Source: "s", Payload: payload, Base64Signature: base64.StdEncoding.EncodeToString(p384sha256)}},
			want:    []want{{key: keyP384, dockerRef: "ghcr.io/acme/app"}},
		},
		{
			name:    "pure Ed25519",
			trusted: []string{keyEd25519},
			sigs:    []evidence.Signature{{Format: evidence.FormatLegacy, Source: "s", Payload: payload, Base64Signature: base64.StdEncoding.EncodeToString(pureEd)}},
			want:    []want{{key: keyEd25519, dockerRef: "ghcr.io/acme/app"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

// TestVerifyCosignTestdata verifies signatures the real cosign made (see
// testdata/cosign/README.md).
func TestVerifyCosignTestdata(t *testing.T) {
	pub, err := signer.ParsePublicKey(readTestdata(t, "cosign/cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.WithPublicKeys(verifier.TrustedKey{Name: "cosign.pub", Key: pub}))
	if err != nil {
		t.Fatal(err)
	}
	a := mustHash(t, "sha256:"+hexA)
	payload := readTestdata(t, "cosign/payload.json")
	sig := strings.TrimSpace(string(readTestdata(t, "cosign/payload.json.sig")))
	prod := map[string]string{"env": "prod"}
	tests := []struct {
		name    string
		subject v1.Hash
		sig     evidence.Signature
		policy  verifier.Policy
		wantErr error
		wantAnn map[string]string
	}{
		{
			name: "cosign v2 legacy signature", subject: a, policy: verifier.Policy{Annotations: prod}, wantAnn: prod,
			sig: evidence.Signature{Format: evidence.FormatLegacy, Source: "cosign", Payload: payload, Base64Signature: sig},
		},
		{
			name: "cosign v2 legacy signature, other subject", subject: mustHash(t, "sha256:"+hexB), wantErr: verifier.ErrDigestMismatch, wantAnn: prod,
			sig: evidence.Signature{Format: evidence.FormatLegacy, Source: "cosign", Payload: payload, Base64Signature: sig},
		},
		{
			name: "cosign v3 bundle", subject: a, policy: verifier.Policy{Annotations: prod}, wantAnn: prod,
			sig: evidence.Signature{Format: evidence.FormatBundle, Source: "cosign", Bundle: readTestdata(t, "cosign/bundle.json")},
		},
		{
			name: "cosign v3 bundle, other subject", subject: mustHash(t, "sha256:"+hexB), wantErr: verifier.ErrDigestMismatch,
			sig: evidence.Signature{Format: evidence.FormatBundle, Source: "cosign", Bundle: readTestdata(t, "cosign/bundle.json")},
		},
		{
			name: "cosign v3 attestation bundle", subject: a, wantErr: verifier.ErrNotASignature,
			sig: evidence.Signature{Format: evidence.FormatBundle, Source: "cosign", Bundle: readTestdata(t, "cosign/attestation.json")},
		},
		{
			name: "cosign v3 message-signature bundle", subject: a, wantErr: evidence.ErrMalformed,
			sig: evidence.Signature{Format: evidence.FormatBundle, Source: "cosign", Bundle: readTestdata(t, "cosign/message-bundle.json")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(tt.subject, []evidence.Signature{tt.sig}, tt.policy)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify(%s) error = %v, want %v", tt.subject, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantAnn, res.Signatures[0].Annotations); diff != "" {
				t.Errorf("Verify(%s) annotations mismatch (-want +got):\n%s", tt.subject, diff)
			}
		})
	}
	// The same signatures with another trusted key are invalid.
	other := newVerifier(t, keyP256)
	for _, s := range []evidence.Signature{
		{Format: evidence.FormatLegacy, Source: "cosign", Payload: payload, Base64Signature: sig},
		{Format: evidence.FormatBundle, Source: "cosign", Bundle: readTestdata(t, "cosign/bundle.json")},
	} {
		if _, err := other.Verify(a, []evidence.Signature{s}, verifier.Policy{}); !errors.Is(err, verifier.ErrInvalidSignature) {
			t.Errorf("Verify(%s) of cosign's %s signature with another key error = %v, want %v", a, s.Format, err, verifier.ErrInvalidSignature)
		}
	}
}

func TestVerifySubject(t *testing.T) {
	v := newVerifier(t, keyP256)
	sigs := []evidence.Signature{legacySig(t, keyP256, hexA, nil), bundleSig(t, keyP256, hexA, nil)}
	tests := []struct {
		name    string
		subject v1.Hash
	}{
		{"zero", v1.Hash{}},
		{"sha512", mustHash(t, "sha512:"+hexA+hexB)},
		{"sha256 of sha512 length", v1.Hash{Algorithm: "sha256", Hex: hexA + hexB}},
		{"short", v1.Hash{Algorithm: "sha256", Hex: hexA[:63]}},
		{"no algorithm", v1.Hash{Hex: hexA}},
		{"upper-case algorithm", v1.Hash{Algorithm: "SHA256", Hex: hexA}},
		{"upper-case hex", v1.Hash{Algorithm: "sha256", Hex: strings.ToUpper(hexA)}},
		{"not hex", v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("zz", 32)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(tt.subject, sigs, verifier.Policy{})
			if err == nil {
				t.Fatalf("Verify(%q) = %v, nil; want an error", tt.subject, res)
			}
			// Not a decision about the image: the input could not be checked.
			if errors.Is(err, verifier.ErrDenied) {
				t.Errorf("Verify(%q) error = %v, want an error that is not %v", tt.subject, err, verifier.ErrDenied)
			}
			if res != nil {
				t.Errorf("Verify(%q) = %v with error, want nil", tt.subject, res)
			}
		})
	}
}

// TestVerifyIsPure checks that Verify neither changes its inputs nor depends
// on earlier calls.
func TestVerifyIsPure(t *testing.T) {
	v := newVerifier(t, keyP256, keyRSA2048)
	a := mustHash(t, "sha256:"+hexA)
	sigs := []evidence.Signature{
		legacySig(t, keyP256, hexA, map[string]string{"env": "prod"}),
		bundleSig(t, keyRSA2048, hexA, map[string]string{"env": "prod"}),
		legacySig(t, keyOther, hexA, nil),
	}
	before := cloneSigs(sigs)
	policy := verifier.Policy{Annotations: map[string]string{"env": "prod"}}
	first, err1 := v.Verify(a, sigs, policy)
	second, err2 := v.Verify(a, sigs, policy)
	if diff := cmp.Diff(before, sigs); diff != "" {
		t.Errorf("Verify changed its input (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"env": "prod"}, policy.Annotations); diff != "" {
		t.Errorf("Verify changed the policy (-before +after):\n%s", diff)
	}
	if (err1 == nil) != (err2 == nil) || len(first.Signatures) != len(second.Signatures) {
		t.Fatalf("two calls of Verify differ: %v, %v", err1, err2)
	}
	for i := range first.Signatures {
		f, s := first.Signatures[i], second.Signatures[i]
		if (f.Err == nil) != (s.Err == nil) || f.Key != s.Key || f.KeyID != s.KeyID || !cmp.Equal(f.Annotations, s.Annotations) {
			t.Errorf("signature %d: first call %+v, second call %+v", i, f, s)
		}
	}
	// Mutating a returned result does not affect the next call.
	if first.Signatures[0].Annotations != nil {
		first.Signatures[0].Annotations["env"] = "changed"
	}
	third, _ := v.Verify(a, sigs, policy)
	if got := third.Signatures[0].Annotations["env"]; got != "prod" {
		t.Errorf("after changing an earlier Result, Verify reports env=%q, want prod", got)
	}
}

func cloneSigs(in []evidence.Signature) []evidence.Signature {
	out := make([]evidence.Signature, len(in))
	for i, s := range in {
		s.Payload = bytes.Clone(s.Payload)
		s.Bundle = bytes.Clone(s.Bundle)
		out[i] = s
	}
	return out
}

func TestNew(t *testing.T) {
	k := testKeys(t)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    []verifier.Option
		wantErr bool
	}{
		{name: "no options", wantErr: true},
		{name: "no keys", opts: []verifier.Option{verifier.WithPublicKeys()}, wantErr: true},
		{name: "one key", opts: []verifier.Option{verifier.WithPublicKeys(trustedKey(t, keyP256))}},
		{name: "every key type", opts: []verifier.Option{verifier.WithPublicKeys(trustedKey(t, keyP256), trustedKey(t, keyP384), trustedKey(t, keyP521), trustedKey(t, keyRSA2048), trustedKey(t, keyEd25519))}},
		{name: "keys over two options", opts: []verifier.Option{verifier.WithPublicKeys(trustedKey(t, keyP256)), verifier.WithPublicKeys(trustedKey(t, keyEd25519))}},
		{name: "nil key", opts: []verifier.Option{verifier.WithPublicKeys(verifier.TrustedKey{Name: "nil"})}, wantErr: true},
		{name: "private key", opts: []verifier.Option{verifier.WithPublicKeys(verifier.TrustedKey{Name: "priv", Key: k[keyP256].priv})}, wantErr: true},
		{name: "X25519 key", opts: []verifier.Option{verifier.WithPublicKeys(verifier.TrustedKey{Name: "x", Key: x.PublicKey()})}, wantErr: true},
		{name: "P-224 key", opts: []verifier.Option{verifier.WithPublicKeys(verifier.TrustedKey{Name: "p224", Key: p224.Public()})}, wantErr: true},
		{name: "a good key and a bad key", opts: []verifier.Option{verifier.WithPublicKeys(trustedKey(t, keyP256), verifier.TrustedKey{Name: "nil"})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verifier.New(tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%s) error = %v, want error %v", tt.name, err, tt.wantErr)
			}
			if (v == nil) != tt.wantErr {
				t.Errorf("New(%s) = %v, want a Verifier exactly when there is no error", tt.name, v)
			}
		})
	}
}

func TestTrustedKeyID(t *testing.T) {
	for _, n := range allKeys {
		tk := trustedKey(t, n)
		der, err := x509.MarshalPKIXPublicKey(tk.Key)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		if got, want := tk.ID(), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("TrustedKey{%s}.ID() = %q, want %q", n, got, want)
		}
	}
	if got := (verifier.TrustedKey{Name: "nil"}).ID(); got != "" {
		t.Errorf("TrustedKey{nil}.ID() = %q, want \"\"", got)
	}
}

// TestErrorMessages checks that the error texts a person reads name what
// they must act on; errors are told apart with errors.Is and errors.As.
func TestErrorMessages(t *testing.T) {
	a := mustHash(t, "sha256:"+hexA)
	b := mustHash(t, "sha256:"+hexB)
	tests := []struct {
		err  error
		want []string
	}{
		{&verifier.DeniedError{Digest: a}, []string{a.String(), verifier.ErrNoSignatures.Error()}},
		{&verifier.DeniedError{Digest: a, Reasons: []error{verifier.ErrInvalidSignature, &verifier.DigestMismatchError{Want: a, Got: b}}},
			[]string{a.String(), b.String(), verifier.ErrInvalidSignature.Error(), "2"}},
		{&verifier.DigestMismatchError{Want: a, Got: b}, []string{a.String(), b.String()}},
		{&verifier.AnnotationError{Key: "env", Want: "prod"}, []string{"env", "prod", "missing"}},
		{&verifier.AnnotationError{Key: "env", Want: "prod", Got: "dev", Present: true}, []string{"env", "prod", "dev"}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(tt.err.Error(), w) {
				t.Errorf("%T.Error() = %q, want it to mention %q", tt.err, tt.err.Error(), w)
			}
		}
	}
	d := &verifier.DeniedError{Digest: a, Reasons: []error{verifier.ErrInvalidSignature}}
	if errors.Is(d, verifier.ErrNoSignatures) || !errors.Is(d, verifier.ErrDenied) || !errors.Is(d, verifier.ErrInvalidSignature) {
		t.Errorf("DeniedError with a reason: errors.Is(ErrNoSignatures, ErrDenied, ErrInvalidSignature) = %v, %v, %v; want false, true, true",
			errors.Is(d, verifier.ErrNoSignatures), errors.Is(d, verifier.ErrDenied), errors.Is(d, verifier.ErrInvalidSignature))
	}
}
