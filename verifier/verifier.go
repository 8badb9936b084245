package verifier

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

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
	keys  []TrustedKey
	certs []CertificateTrust
	clock func() time.Time
}

// WithPublicKeys adds trusted public keys.
func WithPublicKeys(keys ...TrustedKey) Option {
	return func(c *config) error {
		c.keys = append(c.keys, keys...)
		return nil
	}
}

// WithCertificates adds trust in signing certificates.
func WithCertificates(certs ...CertificateTrust) Option {
	return func(c *config) error {
		c.certs = append(c.certs, certs...)
		return nil
	}
}

// WithClock sets the time certificates are checked at (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// Verifier checks signatures and attestations against trust material.
type Verifier struct {
	authorities []*authority
}

// New returns a Verifier for the given trust material. At least one trusted
// key or certificate trust is required.
func New(opts ...Option) (*Verifier, error) {
	c := config{clock: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if len(c.keys) == 0 && len(c.certs) == 0 {
		return nil, errors.New("no trust material: at least one public key or certificate is required")
	}
	v := &Verifier{}
	for _, k := range c.keys {
		a, err := keyAuthority(k)
		if err != nil {
			return nil, err
		}
		v.authorities = append(v.authorities, a)
	}
	for _, ct := range c.certs {
		a, err := certAuthority(ct, c.clock)
		if err != nil {
			return nil, err
		}
		v.authorities = append(v.authorities, a)
	}
	return v, nil
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
	// Signatures has one entry per signature (or attestation) examined, in
	// the order given.
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

// SignatureResult is the outcome for one signature or attestation.
type SignatureResult struct {
	Format evidence.Format
	Source string
	// Err is nil when the signature is valid; otherwise it wraps one of the
	// sentinel errors of this package (or evidence.ErrMalformed).
	Err error
	// Key names the trusted key or certificate trust that verified it.
	Key string
	// KeyID is the hex SHA-256 of the verifying key (or of the pinned
	// certificate or first root).
	KeyID string
	// DockerReference is the repository a legacy payload names.
	DockerReference string
	// Annotations are the signed annotations.
	Annotations map[string]string
	// PredicateType is the predicate type of the signed statement (bundles
	// and attestations).
	PredicateType string
	// Statement is the signed in-toto statement of a valid attestation, as
	// JSON.
	Statement []byte
}

// Verify checks sigs, found for the image with digest subject, against the
// trust material and the policy. It returns a Result listing every signature
// and why it passed or failed, and a *DeniedError (wrapping ErrDenied) when no
// signature is valid.
func (v *Verifier) Verify(subject v1.Hash, sigs []evidence.Signature, p Policy) (*Result, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
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

// checkSubject rejects a subject digest that is not a well-formed sha256
// digest: it is the caller's input, never evidence to judge.
func checkSubject(subject v1.Hash) error {
	if subject.Algorithm != "sha256" || len(subject.Hex) != 64 {
		return fmt.Errorf("subject digest %q is not a sha256 digest", subject)
	}
	for _, c := range subject.Hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("subject digest %q is not lower-case hex", subject)
		}
	}
	return nil
}

func (v *Verifier) verifyOne(subject v1.Hash, s evidence.Signature, p Policy) SignatureResult {
	r := SignatureResult{Format: s.Format, Source: s.Source}
	switch s.Format {
	case evidence.FormatLegacy:
		v.verifyLegacy(subject, s, p, &r)
	case evidence.FormatBundle:
		st := v.bundleStatement(subject, s.Bundle, &r)
		if st == nil {
			break
		}
		if st.GetPredicateType() != evidence.CosignSignPredicateType {
			r.Err = fmt.Errorf("%w: predicate type %s", ErrNotASignature, st.GetPredicateType())
			break
		}
		r.Annotations = evidence.SubjectAnnotations(st, subject)
		r.Err = checkAnnotations(p.Annotations, r.Annotations)
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
	a, err := v.find(s.Certificate, s.Chain, func(sv signature.Verifier) bool {
		return sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(s.Payload)) == nil
	})
	if err != nil {
		r.Err = err
		return
	}
	r.Key, r.KeyID = a.name, a.id
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

// bundleStatement verifies a bundle's DSSE signature with the trust material
// and its binding to subject, and returns the statement it signs. On failure
// it sets r.Err and returns nil.
func (v *Verifier) bundleStatement(subject v1.Hash, raw []byte, r *SignatureResult) *intotov1.Statement {
	b := &bundle.Bundle{}
	if err := b.UnmarshalJSON(raw); err != nil {
		r.Err = fmt.Errorf("%w: bundle: %v", evidence.ErrMalformed, err)
		return nil
	}
	env, err := b.Envelope()
	if err != nil || env == nil || env.RawEnvelope() == nil {
		r.Err = fmt.Errorf("%w: bundle holds no DSSE envelope", evidence.ErrMalformed)
		return nil
	}
	envJSON, err := json.Marshal(env.RawEnvelope())
	if err != nil {
		r.Err = fmt.Errorf("%w: DSSE envelope: %v", evidence.ErrMalformed, err)
		return nil
	}
	var cert []byte
	if vc, err := b.VerificationContent(); err == nil && vc != nil && vc.Certificate() != nil {
		cert = vc.Certificate().Raw
	}
	return v.envelopeStatement(subject, envJSON, cert, nil, r)
}

// envelopeStatement verifies a DSSE envelope (a cosign .att layer, or the
// envelope of a bundle) with the trust material and its binding to subject,
// and returns its statement. On failure it sets r.Err and returns nil.
func (v *Verifier) envelopeStatement(subject v1.Hash, envelope, cert, chain []byte, r *SignatureResult) *intotov1.Statement {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		r.Err = fmt.Errorf("%w: DSSE envelope: %v", evidence.ErrMalformed, err)
		return nil
	}
	a, err := v.find(cert, chain, func(sv signature.Verifier) bool {
		return dsse.WrapVerifier(sv).VerifySignature(bytes.NewReader(envelope), nil) == nil
	})
	if err != nil {
		r.Err = err
		return nil
	}
	r.Key, r.KeyID = a.name, a.id
	if env.PayloadType != evidence.InTotoPayloadType {
		r.Err = fmt.Errorf("%w: DSSE payload type %q, want %q", evidence.ErrMalformed, env.PayloadType, evidence.InTotoPayloadType)
		return nil
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		r.Err = fmt.Errorf("%w: DSSE payload is not base64: %v", evidence.ErrMalformed, err)
		return nil
	}
	st, err := evidence.ParseStatement(payload)
	if err != nil {
		r.Err = err
		return nil
	}
	r.PredicateType = st.GetPredicateType()
	if !evidence.StatementNames(st, subject) {
		d, _ := statementDigest(st)
		r.Err = &DigestMismatchError{Want: subject, Got: d}
		return nil
	}
	return st
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

// find returns the first authority under which the signature verifies. When
// none does, the error wraps ErrInvalidSignature, and ErrCertificate when a
// certificate was the reason.
func (v *Verifier) find(cert, chain []byte, ok func(signature.Verifier) bool) (*authority, error) {
	var certErrs []error
	for _, a := range v.authorities {
		vs, err := a.verifiersFor(cert, chain)
		if err != nil {
			certErrs = append(certErrs, fmt.Errorf("%s: %w", a.name, err))
			continue
		}
		for _, sv := range vs {
			if ok(sv) {
				return a, nil
			}
		}
	}
	if len(certErrs) > 0 {
		return nil, fmt.Errorf("%w (%w)", ErrInvalidSignature, errors.Join(certErrs...))
	}
	return nil, ErrInvalidSignature
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
