package evidence

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Format names one of the two ways a signature is stored in a registry.
type Format string

const (
	// FormatLegacy is cosign's tag scheme: sha256-<hex>.sig with a
	// simple-signing payload per layer. Every cosign release, Kyverno,
	// Kubewarden and sigstore policy-controller read it.
	FormatLegacy Format = "legacy"
	// FormatBundle is a Sigstore bundle v0.3 attached as an OCI 1.1 referrer,
	// with the sha256-<hex> tag fallback. It is what cosign v3 writes by
	// default.
	FormatBundle Format = "bundle"
)

// DefaultFormat is the format tollgate writes when none is chosen. See
// docs/formats.md for why it is the legacy format.
const DefaultFormat = FormatLegacy

// ParseFormat returns the Format named by s.
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case FormatLegacy:
		return FormatLegacy, nil
	case FormatBundle:
		return FormatBundle, nil
	}
	return "", fmt.Errorf("unknown signature format %q (want %q or %q)", s, FormatLegacy, FormatBundle)
}

// Media types.
const (
	// SimpleSigningMediaType is the layer media type of a cosign signature.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is the layer media type of a cosign attestation.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// BundleMediaType is the media type of a Sigstore bundle v0.3, used both as
	// the layer media type and as the artifactType of its manifest.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// EmptyMediaType is the OCI empty descriptor's media type, used as the
	// config of bundle manifests.
	EmptyMediaType = "application/vnd.oci.empty.v1+json"
	// InTotoPayloadType is the DSSE payload type of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
)

// Annotation keys.
const (
	// AnnotationSignature holds the base64 signature of a legacy layer.
	AnnotationSignature = "dev.cosignproject.cosign/signature"
	// AnnotationCertificate holds the PEM signing certificate of a legacy layer.
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	// AnnotationChain holds the PEM certificate chain of a legacy layer.
	AnnotationChain = "dev.sigstore.cosign/chain"
	// AnnotationRekorBundle holds the Rekor bundle (JSON) of a legacy layer.
	AnnotationRekorBundle = "dev.sigstore.cosign/bundle"
	// AnnotationRFC3161Timestamp holds the RFC 3161 timestamp (JSON) of a legacy layer.
	AnnotationRFC3161Timestamp = "dev.sigstore.cosign/rfc3161timestamp"
	// AnnotationBundleContent says what a bundle manifest's bundle holds.
	AnnotationBundleContent = "dev.sigstore.bundle.content"
	// AnnotationBundlePredicateType is the predicate type of the statement in a
	// bundle manifest's bundle.
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
	// AnnotationPredicateType holds the predicate type of a legacy
	// attestation layer (cosign's sha256-<hex>.att images).
	AnnotationPredicateType = "predicateType"
	// AnnotationCreated is the OCI creation time annotation.
	AnnotationCreated = "org.opencontainers.image.created"
)

// CosignSignPredicateType is the predicate type of the statement cosign v3
// signs when it signs an image in the bundle format. A bundle with any other
// predicate type is an attestation, never a signature.
const CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// SignatureTag is the tag of the cosign tag scheme's signature image for the
// image with digest d: sha256-<hex>.sig.
func SignatureTag(d v1.Hash) string { return tagPrefix(d) + ".sig" }

// AttestationTag is the tag of the cosign tag scheme's attestation image for
// the image with digest d: sha256-<hex>.att.
func AttestationTag(d v1.Hash) string { return tagPrefix(d) + ".att" }

// ReferrersTag is the OCI 1.1 referrers fallback tag for the image with
// digest d: sha256-<hex>.
func ReferrersTag(d v1.Hash) string { return tagPrefix(d) }

func tagPrefix(d v1.Hash) string { return d.Algorithm + "-" + d.Hex }

// Signature is one signature as found in a registry, before any check. Every
// field is untrusted.
type Signature struct {
	// Format is where the signature came from.
	Format Format
	// Source says where it was found, for reports: the tag and layer of a
	// legacy signature, the manifest digest of a bundle.
	Source string

	// Payload is the signed simple-signing payload of a legacy signature, or
	// the DSSE envelope of a legacy attestation.
	Payload []byte
	// Base64Signature is the signature over Payload (legacy).
	Base64Signature string
	// Certificate and Chain are PEM blocks from the layer annotations (legacy).
	Certificate, Chain []byte
	// RekorBundle and RFC3161Timestamp are the JSON annotations (legacy).
	RekorBundle, RFC3161Timestamp []byte

	// Bundle is the Sigstore bundle JSON (bundle).
	Bundle []byte

	// PredicateType is what the registry annotations say an attestation
	// holds. It is a hint for reports; the signed statement decides.
	PredicateType string
}
