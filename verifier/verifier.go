package verifier

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/tollgate-dev/tollgate/evidence"
)

// TrustedKey is a public key signatures may verify with.
type TrustedKey struct {
	// Name identifies the key in reports (a file name, a KMS URI).
	Name string
	// Key is the public key.
	Key crypto.PublicKey
}

// ID returns the key's identifier: the hex SHA-256 of its PKIX encoding.
func (k TrustedKey) ID() string {
	der, err := x509.MarshalPKIXPublicKey(k.Key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Option configures New.
type Option func(*config) error

type config struct {
	keys []TrustedKey
}

// WithPublicKeys adds trusted public keys.
func WithPublicKeys(keys ...TrustedKey) Option {
	return func(c *config) error {
		for _, k := range keys {
			switch k.Key.(type) {
			case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
			default:
				return fmt.Errorf("trusted key %s: unsupported key type %T", k.Name, k.Key)
			}
			c.keys = append(c.keys, k)
		}
		return nil
	}
}

// Verifier checks signatures against trust material.
type Verifier struct {
	keys []trusted
}

type trusted struct {
	TrustedKey
	id        string
	verifiers []signature.Verifier // in the order they are tried
}

// New returns a Verifier for the given trust material. At least one trusted
// key is required.
func New(opts ...Option) (*Verifier, error) {
	var c config
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if len(c.keys) == 0 {
		return nil, errors.New("no trust material: at least one public key is required")
	}
	v := &Verifier{}
	for _, k := range c.keys {
		vs, err := keyVerifiers(k.Key)
		if err != nil {
			return nil, fmt.Errorf("trusted key %s: %w", k.Name, err)
		}
		v.keys = append(v.keys, trusted{TrustedKey: k, id: k.ID(), verifiers: vs})
	}
	return v, nil
}

// keyVerifiers returns the verifiers a signature by key may have been made
// with: the key's default algorithm first (what cosign and tollgate sign
// with), then SHA-256 for ECDSA and RSA keys whose default hash is another
// (what cosign v2 verifies with by default), and pure Ed25519 for Ed25519 keys
// (what cosign releases before Ed25519ph support signed with).
func keyVerifiers(pub crypto.PublicKey) ([]signature.Verifier, error) {
	def, err := signature.LoadDefaultVerifier(pub, options.WithED25519ph())
	if err != nil {
		return nil, err
	}
	out := []signature.Verifier{def}
	switch pub.(type) {
	case ed25519.PublicKey:
		pure, err := signature.LoadED25519Verifier(pub.(ed25519.PublicKey))
		if err != nil {
			return nil, err
		}
		out = append(out, pure)
	default:
		d, err := signature.GetDefaultAlgorithmDetails(pub)
		if err == nil && d.GetHashType() != crypto.SHA256 {
			alt, err := signature.LoadVerifier(pub, crypto.SHA256)
			if err != nil {
				return nil, err
			}
			out = append(out, alt)
		}
	}
	return out, nil
}

// Policy is what a valid signature must satisfy beyond verifying for the
// subject digest.
type Policy struct {
	// Annotations must all be present with exactly these values, in the
	// simple-signing payload's optional section (legacy) or the statement
	// subject's annotations (bundle).
	Annotations map[string]string
}

// Result is the outcome of verifying one image.
type Result struct {
	// Digest is the subject digest that was verified.
	Digest v1.Hash
	// Signatures has one entry per signature examined, in the order given.
	Signatures []SignatureResult
}

// Verified returns the signatures that passed.
func (r *Result) Verified() []SignatureResult {
	var out []SignatureResult
	for _, s := range r.Signatures {
		if s.Err == nil {
			out = append(out, s)
		}
	}
	return out
}

// SignatureResult is the outcome for one signature.
type SignatureResult struct {
	Format evidence.Format
	Source string
	// Err is nil when the signature is valid; otherwise it wraps one of the
	// sentinel errors of this package (or evidence.ErrMalformed).
	Err error
	// Key names the trusted key that verified the signature (empty if none).
	Key string
	// KeyID is the hex SHA-256 of the verifying key.
	KeyID string
	// DockerReference is the repository a legacy payload names.
	DockerReference string
	// Annotations are the signed annotations.
	Annotations map[string]string
}

// Verify checks sigs, found for the image with digest subject, against the
// trust material and the policy. It returns a Result listing every signature
// and why it passed or failed, and a *DeniedError (wrapping ErrDenied) when no
// signature is valid.
func (v *Verifier) Verify(subject v1.Hash, sigs []evidence.Signature, p Policy) (*Result, error) {
	if subject.Algorithm != "sha256" || len(subject.Hex) != 64 {
		return nil, fmt.Errorf("subject digest %q is not a sha256 digest", subject)
	}
	res := &Result{Digest: subject}
	var reasons []error
	for _, s := range sigs {
		r := v.verifyOne(subject, s, p)
		res.Signatures = append(res.Signatures, r)
		if r.Err != nil {
			reasons = append(reasons, fmt.Errorf("%s: %w", r.Source, r.Err))
		}
	}
	if len(res.Verified()) == 0 {
		return res, &DeniedError{Digest: subject, Reasons: reasons}
	}
	return res, nil
}

func (v *Verifier) verifyOne(subject v1.Hash, s evidence.Signature, p Policy) SignatureResult {
	r := SignatureResult{Format: s.Format, Source: s.Source}
	switch s.Format {
	case evidence.FormatLegacy:
		v.verifyLegacy(subject, s, p, &r)
	case evidence.FormatBundle:
		v.verifyBundle(subject, s, p, &r)
	default:
		r.Err = fmt.Errorf("%w: unknown signature format %q", evidence.ErrMalformed, s.Format)
	}
	return r
}

func (v *Verifier) verifyLegacy(subject v1.Hash, s evidence.Signature, p Policy, r *SignatureResult) {
	if s.Base64Signature == "" {
		r.Err = fmt.Errorf("%w: layer has no %s annotation", evidence.ErrMalformed, evidence.AnnotationSignature)
		return
	}
	sig, err := base64.StdEncoding.DecodeString(s.Base64Signature)
	if err != nil {
		r.Err = fmt.Errorf("%w: signature is not base64: %v", evidence.ErrMalformed, err)
		return
	}
	k := v.findKey(func(sv signature.Verifier) bool {
		return sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(s.Payload)) == nil
	})
	if k == nil {
		r.Err = ErrInvalidSignature
		return
	}
	r.Key, r.KeyID = k.Name, k.id
	ss, err := evidence.ParseSimpleSigning(s.Payload)
	if err != nil {
		r.Err = err
		return
	}
	r.DockerReference = ss.DockerReference
	r.Annotations = ss.Annotations
	if ss.Digest != subject {
		r.Err = &DigestMismatchError{Want: subject, Got: ss.Digest}
		return
	}
	r.Err = checkAnnotations(p.Annotations, ss.Annotations)
}

func (v *Verifier) verifyBundle(subject v1.Hash, s evidence.Signature, p Policy, r *SignatureResult) {
	b := &bundle.Bundle{}
	if err := b.UnmarshalJSON(s.Bundle); err != nil {
		r.Err = fmt.Errorf("%w: bundle: %v", evidence.ErrMalformed, err)
		return
	}
	env, err := b.Envelope()
	if err != nil || env == nil {
		r.Err = fmt.Errorf("%w: bundle holds no DSSE envelope", evidence.ErrMalformed)
		return
	}
	digest, err := hex.DecodeString(subject.Hex)
	if err != nil {
		r.Err = fmt.Errorf("subject digest: %w", err)
		return
	}
	var lastErr error
	k := v.findKey(func(sv signature.Verifier) bool {
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
		})
		ver, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			lastErr = err
			return false
		}
		_, err = ver.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(subject.Algorithm, digest), verify.WithKey()))
		lastErr = err
		return err == nil
	})
	if k == nil {
		// Tell a signature for another digest apart from a bad signature: the
		// statement is only read after the signature failed, for the report.
		if st, err := envelopeStatement(env); err == nil && !evidence.StatementNames(st, subject) {
			if d, ok := statementDigest(st); ok && v.signatureValidIgnoringSubject(b) {
				r.Err = &DigestMismatchError{Want: subject, Got: d}
				return
			}
		}
		r.Err = fmt.Errorf("%w: %v", ErrInvalidSignature, lastErr)
		return
	}
	r.Key, r.KeyID = k.Name, k.id
	st, err := envelopeStatement(env)
	if err != nil {
		r.Err = err
		return
	}
	if st.GetPredicateType() != evidence.CosignSignPredicateType {
		r.Err = fmt.Errorf("%w: predicate type %s", ErrNotASignature, st.GetPredicateType())
		return
	}
	if !evidence.StatementNames(st, subject) {
		// sigstore-go checked the subject already; this guards the invariant.
		d, _ := statementDigest(st)
		r.Err = &DigestMismatchError{Want: subject, Got: d}
		return
	}
	r.Annotations = evidence.SubjectAnnotations(st, subject)
	r.Err = checkAnnotations(p.Annotations, r.Annotations)
}

// envelopeStatement decodes the in-toto statement a DSSE envelope carries.
func envelopeStatement(env *bundle.Envelope) (*intotov1.Statement, error) {
	if env.PayloadType != evidence.InTotoPayloadType {
		return nil, fmt.Errorf("%w: DSSE payload type %q, want %q", evidence.ErrMalformed, env.PayloadType, evidence.InTotoPayloadType)
	}
	b, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("%w: DSSE payload: %v", evidence.ErrMalformed, err)
	}
	return evidence.ParseStatement(b)
}

// signatureValidIgnoringSubject reports whether the bundle's DSSE signature
// verifies with a trusted key when the artifact is not checked. It is used
// only to explain a failure, never to accept a signature.
func (v *Verifier) signatureValidIgnoringSubject(b *bundle.Bundle) bool {
	return v.findKey(func(sv signature.Verifier) bool {
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
		})
		ver, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			return false
		}
		_, err = ver.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey()))
		return err == nil
	}) != nil
}

// statementDigest returns the first sha256 subject digest of a statement.
func statementDigest(st *intotov1.Statement) (v1.Hash, bool) {
	for _, s := range st.GetSubject() {
		if h, err := v1.NewHash("sha256:" + s.GetDigest()["sha256"]); err == nil {
			return h, true
		}
	}
	return v1.Hash{}, false
}

func (v *Verifier) findKey(ok func(signature.Verifier) bool) *trusted {
	for i := range v.keys {
		for _, sv := range v.keys[i].verifiers {
			if ok(sv) {
				return &v.keys[i]
			}
		}
	}
	return nil
}

func checkAnnotations(want, got map[string]string) error {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		g, ok := got[k]
		if !ok || g != want[k] {
			errs = append(errs, &AnnotationError{Key: k, Want: want[k], Got: g, Present: ok})
		}
	}
	return errors.Join(errs...)
}
