package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// ErrMalformed is wrapped by every error about evidence bytes that do not
// parse or do not have the required shape.
var ErrMalformed = errors.New("malformed evidence")

// MaxPayloadSize bounds the payloads this package decodes when the caller
// gives no tighter limit.
const MaxPayloadSize = 64 << 20

// SimpleSigningPayload returns the cosign simple-signing payload that names
// the image digest d (repository and digest) and carries annotations in its
// optional section. It is byte-for-byte what cosign signs.
func SimpleSigningPayload(d name.Digest, annotations map[string]string) ([]byte, error) {
	var opt map[string]any
	if len(annotations) > 0 {
		opt = make(map[string]any, len(annotations))
		for k, v := range annotations {
			opt[k] = v
		}
	}
	b, err := (&payload.Cosign{Image: d, Annotations: opt}).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("building simple-signing payload for %s: %w", d, err)
	}
	return b, nil
}

// SimpleSigning is a decoded simple-signing payload.
type SimpleSigning struct {
	// Digest is the manifest digest the payload names.
	Digest v1.Hash
	// DockerReference is the repository the signer named. It may differ from
	// the repository the image is verified in after a copy.
	DockerReference string
	// Annotations are the optional section's string values.
	Annotations map[string]string
}

// ParseSimpleSigning decodes an untrusted simple-signing payload. It rejects
// payloads of another type, without a valid digest, or with trailing data.
func ParseSimpleSigning(b []byte) (*SimpleSigning, error) {
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: simple-signing payload of %d bytes exceeds %d", ErrMalformed, len(b), MaxPayloadSize)
	}
	var p payload.SimpleContainerImage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: simple-signing payload: %v", ErrMalformed, err)
	}
	// dec.More reports false before a stray '}' or ']': only EOF may follow.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: simple-signing payload: trailing data", ErrMalformed)
	}
	if p.Critical.Type != payload.CosignSignatureType {
		return nil, fmt.Errorf("%w: simple-signing payload of type %q, want %q", ErrMalformed, p.Critical.Type, payload.CosignSignatureType)
	}
	h, err := v1.NewHash(p.Critical.Image.DockerManifestDigest)
	if err != nil {
		return nil, fmt.Errorf("%w: simple-signing payload digest %q: %v", ErrMalformed, p.Critical.Image.DockerManifestDigest, err)
	}
	out := &SimpleSigning{Digest: h, DockerReference: p.Critical.Identity.DockerReference}
	if len(p.Optional) > 0 {
		out.Annotations = make(map[string]string, len(p.Optional))
		for k, v := range p.Optional {
			out.Annotations[k] = annotationString(v)
		}
	}
	return out, nil
}

func annotationString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// SignStatement returns the in-toto statement cosign v3 signs to sign an image
// in the bundle format: predicate type CosignSignPredicateType, one subject
// with the image digest and the annotations, and an empty predicate.
func SignStatement(d v1.Hash, annotations map[string]string) ([]byte, error) {
	return Statement(d, CosignSignPredicateType, annotations, &structpb.Struct{})
}

// Statement returns an in-toto statement v1 about the image digest d.
func Statement(d v1.Hash, predicateType string, annotations map[string]string, predicate *structpb.Struct) ([]byte, error) {
	subject := &intotov1.ResourceDescriptor{Digest: map[string]string{d.Algorithm: d.Hex}}
	if len(annotations) > 0 {
		m := make(map[string]any, len(annotations))
		for k, v := range annotations {
			m[k] = v
		}
		s, err := structpb.NewStruct(m)
		if err != nil {
			return nil, fmt.Errorf("encoding subject annotations: %w", err)
		}
		subject.Annotations = s
	}
	st := &intotov1.Statement{
		Type:          intotov1.StatementTypeUri,
		Subject:       []*intotov1.ResourceDescriptor{subject},
		PredicateType: predicateType,
		Predicate:     predicate,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("building statement: %w", err)
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	return b, nil
}

// ParseStatement decodes an untrusted in-toto statement (v1, or v0.1 as older
// tools write it) and checks its required fields.
func ParseStatement(b []byte) (*intotov1.Statement, error) {
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: statement of %d bytes exceeds %d", ErrMalformed, len(b), MaxPayloadSize)
	}
	st := &intotov1.Statement{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%w: in-toto statement: %v", ErrMalformed, err)
	}
	switch st.GetType() {
	case intotov1.StatementTypeUri, "https://in-toto.io/Statement/v0.1":
	default:
		return nil, fmt.Errorf("%w: in-toto statement of type %q", ErrMalformed, st.GetType())
	}
	if st.GetPredicateType() == "" {
		return nil, fmt.Errorf("%w: in-toto statement without predicateType", ErrMalformed)
	}
	if len(st.GetSubject()) == 0 {
		return nil, fmt.Errorf("%w: in-toto statement without subject", ErrMalformed)
	}
	return st, nil
}

// StatementNames reports whether the statement has a subject whose digest set
// holds d. A digest without hex (the zero Hash) names nothing.
func StatementNames(st *intotov1.Statement, d v1.Hash) bool {
	if d.Hex == "" {
		return false
	}
	for _, s := range st.GetSubject() {
		if strings.EqualFold(s.GetDigest()[d.Algorithm], d.Hex) {
			return true
		}
	}
	return false
}

// SubjectAnnotations returns the string annotations of the statement's
// subject that names d.
func SubjectAnnotations(st *intotov1.Statement, d v1.Hash) map[string]string {
	if d.Hex == "" {
		return nil
	}
	for _, s := range st.GetSubject() {
		if !strings.EqualFold(s.GetDigest()[d.Algorithm], d.Hex) {
			continue
		}
		fields := s.GetAnnotations().GetFields()
		if len(fields) == 0 {
			return nil
		}
		out := make(map[string]string, len(fields))
		for k, v := range fields {
			out[k] = annotationString(v.AsInterface())
		}
		return out
	}
	return nil
}
