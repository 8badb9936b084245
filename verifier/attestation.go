package verifier

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tollgate-dev/tollgate/evidence"
)

// ErrWrongPredicateType: a valid attestation of another predicate type than
// the one required.
var ErrWrongPredicateType = errors.New("attestation has another predicate type")

// PredicateTypeError says which predicate type was required and found.
type PredicateTypeError struct {
	Want, Got string
}

func (e *PredicateTypeError) Error() string {
	return fmt.Sprintf("attestation is of type %s, not %s", e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrWrongPredicateType) hold.
func (e *PredicateTypeError) Unwrap() error { return ErrWrongPredicateType }

// AttestationPolicy is what a valid attestation must satisfy.
type AttestationPolicy struct {
	// PredicateType is the URI the statement's predicateType must equal
	// exactly. Required.
	PredicateType string
}

// VerifyAttestations checks the attestations found for the image with digest
// subject: an attestation is valid when its DSSE signature verifies with a
// trusted key, its statement names subject and its predicate type is exactly
// the one required. Attestations of other types never satisfy the policy; an
// attestation that does not parse is reported as malformed, never skipped.
// It returns every attestation examined (valid ones carry their statement)
// and a *DeniedError when none is valid.
func (v *Verifier) VerifyAttestations(subject v1.Hash, atts []evidence.Signature, p AttestationPolicy) (*Result, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	if p.PredicateType == "" {
		return nil, errors.New("attestation policy without a predicate type")
	}
	res := &Result{Digest: subject}
	var reasons []error
	for _, a := range atts {
		r := SignatureResult{Format: a.Format, Source: a.Source, PredicateType: a.PredicateType}
		var st *intotov1.Statement
		switch a.Format {
		case evidence.FormatLegacy:
			st = v.envelopeStatement(subject, a.Payload, a.Certificate, a.Chain, &r)
		case evidence.FormatBundle:
			st = v.bundleStatement(subject, a.Bundle, &r)
		default:
			r.Err = fmt.Errorf("%w: unknown format %q", evidence.ErrMalformed, a.Format)
		}
		if st != nil {
			r.PredicateType = st.GetPredicateType()
			r.Annotations = evidence.SubjectAnnotations(st, subject)
			if st.GetPredicateType() != p.PredicateType {
				r.Err = &PredicateTypeError{Want: p.PredicateType, Got: st.GetPredicateType()}
			} else if raw, err := protojson.Marshal(st); err != nil {
				r.Err = fmt.Errorf("encoding statement: %w", err)
			} else {
				r.Statement = raw
			}
		}
		res.Signatures = append(res.Signatures, r)
		if r.Err != nil {
			reasons = append(reasons, fmt.Errorf("%s: %w", r.Source, r.Err))
		}
	}
	if len(res.Verified()) == 0 {
		return res, &DeniedError{Digest: subject, Reasons: reasons, What: "attestation of type " + p.PredicateType}
	}
	return res, nil
}
