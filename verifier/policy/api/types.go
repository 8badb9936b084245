package api

import (
	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/conditions"
)

// APIVersion is the apiVersion of tollgate's policy documents.
const APIVersion = "tollgate.dev/v1alpha1"

// Kinds of tollgate policy documents.
const (
	KindPolicy    = "Policy"
	KindPolicySet = "PolicySet"
)

// Policy is a tollgate policy document (kind Policy).
type Policy struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   Metadata   `json:"metadata"`
	Spec       PolicySpec `json:"spec"`
}

// PolicySet is the optional document (kind PolicySet) with what applies to
// every policy loaded together.
type PolicySet struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       SetSpec  `json:"spec"`
}

// Metadata names a document.
type Metadata struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// SetSpec is what applies to every policy loaded together.
type SetSpec struct {
	// UncoveredImages says what happens to an image no policy covers: Deny
	// (the default) or Allow.
	UncoveredImages string `json:"uncoveredImages,omitempty"`
}

// Values of SetSpec.UncoveredImages.
const (
	Deny  = "Deny"
	Allow = "Allow"
)

// PolicySpec is one policy.
type PolicySpec struct {
	// Images are the image references the policy covers: glob patterns where
	// * matches any run of characters (slashes included) and ? one character,
	// matched against the reference as written and fully qualified
	// (docker.io/library/...). At least one is required.
	Images []string `json:"images"`
	// SkipImages are patterns of images the policy does not cover.
	SkipImages []string `json:"skipImages,omitempty"`
	// Signers are signer sets; every set must pass. A policy with no signer
	// set requires no signature (it may still require attestations).
	Signers []SignerSet `json:"signers,omitempty"`
	// Attestations are required attestations; every one must pass.
	Attestations []Attestation `json:"attestations,omitempty"`
	// Transparency says what transparency evidence signatures need.
	Transparency *Transparency `json:"transparency,omitempty"`
	// RequireDigest refuses image references that are not pinned to a
	// digest (Kyverno's verifyDigest).
	RequireDigest bool `json:"requireDigest,omitempty"`
	// MutateDigest asks `verify --rewrite` to pin the image to the verified
	// digest (Kyverno's mutateDigest, Kubewarden's modifyImagesWithDigest).
	// Default true.
	MutateDigest *bool `json:"mutateDigest,omitempty"`
}

// SignerSet is a threshold of entries: it passes when at least Count
// distinct entries have each made a valid signature. One entry signing twice
// counts once.
type SignerSet struct {
	Name string `json:"name,omitempty"`
	// Count is the threshold; 0 (or absent) means every entry.
	Count int `json:"count,omitempty"`
	// Entries are who may sign.
	Entries []Entry `json:"entries"`
	// Annotations every valid signature of this set must carry.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Entry is one signer: exactly one of Key, Certificate or Keyless.
type Entry struct {
	Name        string            `json:"name,omitempty"`
	Key         *KeyEntry         `json:"key,omitempty"`
	Certificate *CertificateEntry `json:"certificate,omitempty"`
	Keyless     *KeylessEntry     `json:"keyless,omitempty"`
	// Annotations this entry's signatures must carry, besides the set's.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// KeyEntry is a public key: exactly one of PEM, File or KMS.
type KeyEntry struct {
	// PEM is the PKIX public key, inline.
	PEM string `json:"pem,omitempty"`
	// File is a PEM file, relative to the policy file.
	File string `json:"file,omitempty"`
	// KMS is a KMS key reference (awskms://, gcpkms://, azurekms://,
	// hashivault://).
	KMS string `json:"kms,omitempty"`
}

// CertificateEntry trusts signatures made with certificates: a pinned
// signing certificate, and/or certificates that chain to roots, optionally
// limited to an identity. PEM values may be given inline or as files
// relative to the policy file (the *File fields).
type CertificateEntry struct {
	Certificate       string             `json:"certificate,omitempty"`
	CertificateFile   string             `json:"certificateFile,omitempty"`
	Chain             string             `json:"chain,omitempty"`
	ChainFile         string             `json:"chainFile,omitempty"`
	Roots             string             `json:"roots,omitempty"`
	RootsFile         string             `json:"rootsFile,omitempty"`
	Intermediates     string             `json:"intermediates,omitempty"`
	IntermediatesFile string             `json:"intermediatesFile,omitempty"`
	Identity          *verifier.Identity `json:"identity,omitempty"`
}

// KeylessEntry is an OIDC identity certified by a Fulcio-style CA. Its roots
// come from Roots, or from the transparency section's trusted root.
type KeylessEntry struct {
	verifier.Identity `json:",inline"`
	// GitHub constrains GitHub Actions workflow claims.
	GitHub *GitHubClaims `json:"github,omitempty"`
	// Roots and Intermediates are PEM CA certificates (inline or files).
	Roots             string `json:"roots,omitempty"`
	RootsFile         string `json:"rootsFile,omitempty"`
	Intermediates     string `json:"intermediates,omitempty"`
	IntermediatesFile string `json:"intermediatesFile,omitempty"`
}

// GitHubClaims are the GitHub Actions claims Fulcio records in certificates.
type GitHubClaims struct {
	// Repository is owner/repo.
	Repository string `json:"repository,omitempty"`
	// Owner is the repository owner.
	Owner string `json:"owner,omitempty"`
	// WorkflowRef is the workflow file's ref (owner/repo/.github/workflows/x.yml@refs/heads/main).
	WorkflowRef string `json:"workflowRef,omitempty"`
	// Ref is the git ref built (refs/heads/main, refs/tags/v1).
	Ref string `json:"ref,omitempty"`
	// Trigger is the event (push, workflow_dispatch, ...).
	Trigger string `json:"trigger,omitempty"`
	// SHA is the commit built.
	SHA string `json:"sha,omitempty"`
}

// Attestation requires a valid attestation of one predicate type.
type Attestation struct {
	Name string `json:"name,omitempty"`
	// PredicateType is a URI or one of cosign's short names.
	PredicateType string `json:"predicateType"`
	// Signers who may sign it; default: the policy's signers.
	Signers []SignerSet `json:"signers,omitempty"`
	// Conditions on its content; every one must hold.
	Conditions *conditions.Spec `json:"conditions,omitempty"`
}

// Transparency is what transparency evidence signatures need.
type Transparency struct {
	// TLog is Require or Ignore (default: Ignore for keys and certificates,
	// Require when a keyless entry is present).
	TLog string `json:"tlog,omitempty"`
	// SCT is Require or Ignore for certificate transparency (default like TLog).
	SCT string `json:"sct,omitempty"`
	// RekorPublicKey and CTLogPublicKey are PEM keys (inline or files).
	RekorPublicKey     string `json:"rekorPublicKey,omitempty"`
	RekorPublicKeyFile string `json:"rekorPublicKeyFile,omitempty"`
	CTLogPublicKey     string `json:"ctLogPublicKey,omitempty"`
	CTLogPublicKeyFile string `json:"ctLogPublicKeyFile,omitempty"`
	// TrustedRootFile is a Sigstore trusted_root.json.
	TrustedRootFile string `json:"trustedRootFile,omitempty"`
}

// Values of Transparency.TLog and Transparency.SCT.
const (
	Require = "Require"
	Ignore  = "Ignore"
)
