package kyverno

import (
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/conditions"
	"github.com/tollgate-dev/tollgate/verifier/policy/api"
	"github.com/tollgate-dev/tollgate/verifier/policy/internal/strict"
)

// APIVersions and Kinds this package reads.
var (
	APIVersions = []string{"kyverno.io/v1", "kyverno.io/v2beta1"}
	Kinds       = []string{"ClusterPolicy", "Policy"}
)

// document is the part of a Kyverno policy tollgate reads; everything else
// Kyverno defines is accepted as raw JSON so that strict decoding still
// rejects fields Kyverno does not define.
type document struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       spec           `json:"spec"`
	Status     any            `json:"status,omitempty"`
}

type spec struct {
	Rules                            []rule `json:"rules"`
	ValidationFailureAction          string `json:"validationFailureAction,omitempty"`
	ValidationFailureActionOverrides any    `json:"validationFailureActionOverrides,omitempty"`
	Background                       *bool  `json:"background,omitempty"`
	FailurePolicy                    string `json:"failurePolicy,omitempty"`
	WebhookTimeoutSeconds            *int   `json:"webhookTimeoutSeconds,omitempty"`
	WebhookConfiguration             any    `json:"webhookConfiguration,omitempty"`
	Admission                        *bool  `json:"admission,omitempty"`
	EmitWarning                      *bool  `json:"emitWarning,omitempty"`
	SchemaValidation                 *bool  `json:"schemaValidation,omitempty"`
	ApplyRules                       string `json:"applyRules,omitempty"`
	UseServerSideApply               *bool  `json:"useServerSideApply,omitempty"`
	MutateExistingOnPolicyUpdate     *bool  `json:"mutateExistingOnPolicyUpdate,omitempty"`
	GenerateExisting                 *bool  `json:"generateExisting,omitempty"`
	GenerateExistingOnPolicyUpdate   *bool  `json:"generateExistingOnPolicyUpdate,omitempty"`
}

type rule struct {
	Name                   string              `json:"name"`
	Match                  any                 `json:"match,omitempty"`
	Exclude                any                 `json:"exclude,omitempty"`
	Preconditions          any                 `json:"preconditions,omitempty"`
	CELPreconditions       any                 `json:"celPreconditions,omitempty"`
	Context                any                 `json:"context,omitempty"`
	ImageExtractors        any                 `json:"imageExtractors,omitempty"`
	VerifyImages           []imageVerification `json:"verifyImages,omitempty"`
	Validate               any                 `json:"validate,omitempty"`
	Mutate                 any                 `json:"mutate,omitempty"`
	Generate               any                 `json:"generate,omitempty"`
	SkipBackgroundRequests *bool               `json:"skipBackgroundRequests,omitempty"`
	ReportProperties       any                 `json:"reportProperties,omitempty"`
}

type imageVerification struct {
	Type                     string            `json:"type,omitempty"`
	Image                    string            `json:"image,omitempty"`
	ImageReferences          []string          `json:"imageReferences,omitempty"`
	SkipImageReferences      []string          `json:"skipImageReferences,omitempty"`
	Key                      string            `json:"key,omitempty"`
	Roots                    string            `json:"roots,omitempty"`
	Subject                  string            `json:"subject,omitempty"`
	Issuer                   string            `json:"issuer,omitempty"`
	AdditionalExtensions     map[string]string `json:"additionalExtensions,omitempty"`
	Attestors                []attestorSet     `json:"attestors,omitempty"`
	Attestations             []attestation     `json:"attestations,omitempty"`
	Annotations              map[string]string `json:"annotations,omitempty"`
	Repository               string            `json:"repository,omitempty"`
	CosignOCI11              *bool             `json:"cosignOCI11,omitempty"`
	MutateDigest             *bool             `json:"mutateDigest,omitempty"`
	VerifyDigest             *bool             `json:"verifyDigest,omitempty"`
	Validate                 any               `json:"validate,omitempty"`
	Required                 *bool             `json:"required,omitempty"`
	ImageRegistryCredentials any               `json:"imageRegistryCredentials,omitempty"`
	UseCache                 *bool             `json:"useCache,omitempty"`
}

type attestorSet struct {
	Count   *int       `json:"count,omitempty"`
	Entries []attestor `json:"entries,omitempty"`
}

type attestor struct {
	Keys         *staticKey        `json:"keys,omitempty"`
	Certificates *certificates     `json:"certificates,omitempty"`
	Keyless      *keyless          `json:"keyless,omitempty"`
	Attestor     any               `json:"attestor,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Repository   string            `json:"repository,omitempty"`
}

type staticKey struct {
	PublicKeys         string `json:"publicKeys,omitempty"`
	SignatureAlgorithm string `json:"signatureAlgorithm,omitempty"`
	KMS                string `json:"kms,omitempty"`
	Secret             any    `json:"secret,omitempty"`
	Rekor              *rekor `json:"rekor,omitempty"`
	CTLog              *ctlog `json:"ctlog,omitempty"`
}

type certificates struct {
	Cert      string `json:"cert,omitempty"`
	CertChain string `json:"certChain,omitempty"`
	Rekor     *rekor `json:"rekor,omitempty"`
	CTLog     *ctlog `json:"ctlog,omitempty"`
}

type keyless struct {
	Issuer               string            `json:"issuer,omitempty"`
	IssuerRegExp         string            `json:"issuerRegExp,omitempty"`
	Subject              string            `json:"subject,omitempty"`
	SubjectRegExp        string            `json:"subjectRegExp,omitempty"`
	Roots                string            `json:"roots,omitempty"`
	AdditionalExtensions map[string]string `json:"additionalExtensions,omitempty"`
	Rekor                *rekor            `json:"rekor,omitempty"`
	CTLog                *ctlog            `json:"ctlog,omitempty"`
}

// rekor accepts both spellings of the public key field the Kyverno
// documentation uses.
type rekor struct {
	URL        string `json:"url,omitempty"`
	PubKey     string `json:"pubKey,omitempty"`
	Pubkey     string `json:"pubkey,omitempty"`
	IgnoreTlog bool   `json:"ignoreTlog,omitempty"`
}

type ctlog struct {
	URL          string `json:"url,omitempty"`
	PubKey       string `json:"pubKey,omitempty"`
	Pubkey       string `json:"pubkey,omitempty"`
	IgnoreSCT    bool   `json:"ignoreSCT,omitempty"`
	TSACertChain string `json:"tsaCertChain,omitempty"`
}

type attestation struct {
	Name          string             `json:"name,omitempty"`
	Type          string             `json:"type,omitempty"`
	PredicateType string             `json:"predicateType,omitempty"`
	Attestors     []attestorSet      `json:"attestors,omitempty"`
	Conditions    []conditions.Block `json:"conditions,omitempty"`
}

// Convert turns one Kyverno policy document into tollgate policies, one per
// verifyImages entry, with warnings about what it reads but does not use.
func Convert(data []byte, source string) ([]api.Policy, []string, error) {
	doc, err := strict.OneDocument(data)
	if err != nil {
		return nil, nil, err
	}
	var d document
	if err := strict.Decode(doc, &d); err != nil {
		return nil, nil, err
	}
	name, _ := d.Metadata["name"].(string)
	if name == "" {
		return nil, nil, errors.New("metadata.name: required")
	}
	var warnings []string
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
	switch d.Spec.ValidationFailureAction {
	case "", "Enforce", "enforce":
	case "Audit", "audit":
		warn("spec.validationFailureAction: %s: Kyverno only reports these failures at admission; the gate enforces them", d.Spec.ValidationFailureAction)
	default:
		return nil, nil, fmt.Errorf("spec.validationFailureAction: %q is neither Enforce nor Audit", d.Spec.ValidationFailureAction)
	}
	if d.Spec.ValidationFailureActionOverrides != nil {
		warn("spec.validationFailureActionOverrides: per-namespace actions do not apply to the gate, which enforces")
	}
	var out []api.Policy
	var errs []error
	for ri, r := range d.Spec.Rules {
		rp := fmt.Sprintf("spec.rules[%d]", ri)
		if len(r.VerifyImages) == 0 {
			warn("%s (%s): no verifyImages: skipped", rp, r.Name)
			continue
		}
		for _, f := range []struct {
			name string
			v    any
		}{{"match", r.Match}, {"exclude", r.Exclude}, {"preconditions", r.Preconditions}, {"celPreconditions", r.CELPreconditions}, {"context", r.Context}} {
			if f.v != nil && f.name != "match" {
				warn("%s.%s: restricts which Kubernetes resources the rule applies to; the gate checks every image it is given", rp, f.name)
			}
		}
		if r.ImageExtractors != nil {
			warn("%s.imageExtractors: the gate reads the images of custom resources only through -f manifests of known kinds", rp)
		}
		if r.Validate != nil || r.Mutate != nil || r.Generate != nil {
			warn("%s: validate, mutate and generate parts of the rule are not part of the gate", rp)
		}
		for vi, v := range r.VerifyImages {
			vp := fmt.Sprintf("%s.verifyImages[%d]", rp, vi)
			pname := fmt.Sprintf("%s/%s", name, r.Name)
			if len(r.VerifyImages) > 1 {
				pname = fmt.Sprintf("%s/%d", pname, vi)
			}
			p, ws, err := convertVerification(v, vp)
			warnings = append(warnings, ws...)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.Metadata = api.Metadata{Name: pname, Annotations: map[string]string{"tollgate.dev/source": fmt.Sprintf("%s %s/%s rule %s", d.APIVersion, d.Kind, name, r.Name)}}
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, warnings, errors.New("spec.rules: no rule has verifyImages")
	}
	return out, warnings, nil
}

func convertVerification(v imageVerification, vp string) (api.Policy, []string, error) {
	p := api.Policy{APIVersion: api.APIVersion, Kind: api.KindPolicy}
	var warnings []string
	var errs []error
	fail := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", vp, path, fmt.Sprintf(format, args...)))
	}
	switch v.Type {
	case "", "Cosign", "SigstoreBundle":
	case "Notary":
		fail("type", "Notary signatures are not supported")
	default:
		fail("type", "unknown type %q", v.Type)
	}
	if v.Repository != "" {
		fail("repository", "signatures in another repository are not supported yet")
	}
	if v.Required != nil && !*v.Required {
		fail("required", "false is not supported: the gate always requires verification")
	}
	if v.Validate != nil {
		fail("validate", "validation of the verified payload is not supported")
	}
	if v.ImageRegistryCredentials != nil {
		warnings = append(warnings, vp+".imageRegistryCredentials: tollgate reads registries with its own credentials")
	}
	if v.CosignOCI11 != nil && *v.CosignOCI11 {
		warnings = append(warnings, vp+".cosignOCI11: tollgate always reads both cosign's tag scheme and OCI 1.1 referrers")
	}
	images := append([]string{}, v.ImageReferences...)
	if v.Image != "" {
		images = append(images, v.Image)
	}
	if len(images) == 0 {
		fail("imageReferences", "at least one image reference is required")
	}
	p.Spec.Images, p.Spec.SkipImages = images, v.SkipImageReferences

	mutate := v.MutateDigest == nil || *v.MutateDigest
	p.Spec.MutateDigest = &mutate
	verifyDigest := v.VerifyDigest == nil || *v.VerifyDigest
	// At admission Kyverno pins the image first, then checks the digest: a
	// tag only fails verifyDigest when it is not pinned.
	p.Spec.RequireDigest = verifyDigest && !mutate

	tlog := false
	sets := v.Attestors
	// The deprecated top-level attestor fields, as Kyverno converts them.
	if v.Key != "" {
		sets = append(sets, attestorSet{Entries: []attestor{{Keys: &staticKey{PublicKeys: v.Key}, Annotations: v.Annotations}}})
	} else if v.Subject != "" || v.Issuer != "" || v.Roots != "" {
		sets = append(sets, attestorSet{Entries: []attestor{{Keyless: &keyless{Subject: v.Subject, Issuer: v.Issuer, Roots: v.Roots, AdditionalExtensions: v.AdditionalExtensions}, Annotations: v.Annotations}}})
	} else if len(v.Annotations) > 0 {
		for i := range sets {
			for j := range sets[i].Entries {
				sets[i].Entries[j].Annotations = merge(v.Annotations, sets[i].Entries[j].Annotations)
			}
		}
	}
	var err error
	p.Spec.Signers, err = convertSets(sets, vp+".attestors", &tlog)
	if err != nil {
		errs = append(errs, err)
	}
	for ai, a := range v.Attestations {
		ap := fmt.Sprintf("%s.attestations[%d]", vp, ai)
		pt := a.PredicateType
		if pt == "" {
			pt = a.Type
		}
		if pt == "" {
			errs = append(errs, fmt.Errorf("%s.predicateType: required", ap))
			continue
		}
		at := api.Attestation{Name: a.Name, PredicateType: pt}
		if len(a.Attestors) > 0 {
			if at.Signers, err = convertSets(a.Attestors, ap+".attestors", &tlog); err != nil {
				errs = append(errs, err)
			}
		}
		if len(a.Conditions) > 0 {
			at.Conditions = &conditions.Spec{Kyverno: a.Conditions}
		}
		p.Spec.Attestations = append(p.Spec.Attestations, at)
	}
	if len(p.Spec.Signers) == 0 && len(p.Spec.Attestations) == 0 {
		fail("attestors", "neither attestors nor attestations: nothing to verify")
	}
	mode := api.Ignore
	if tlog {
		mode = api.Require
	}
	p.Spec.Transparency = &api.Transparency{TLog: mode, SCT: mode}
	return p, warnings, errors.Join(errs...)
}

func merge(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// extensionNames maps Kyverno's additionalExtensions keys to the names
// sigstore-go gives Fulcio's certificate extensions.
var extensionNames = map[string]string{
	"githubWorkflowTrigger":    "githubWorkflowTrigger",
	"githubWorkflowSha":        "githubWorkflowSHA",
	"githubWorkflowName":       "githubWorkflowName",
	"githubWorkflowRepository": "githubWorkflowRepository",
	"githubWorkflowRef":        "githubWorkflowRef",
}

func convertSets(sets []attestorSet, path string, tlog *bool) ([]api.SignerSet, error) {
	var out []api.SignerSet
	var errs []error
	for si, s := range sets {
		sp := fmt.Sprintf("%s[%d]", path, si)
		var entries []api.Entry
		for ei, e := range s.Entries {
			ep := fmt.Sprintf("%s.entries[%d]", sp, ei)
			n := 0
			for _, set := range []bool{e.Keys != nil, e.Certificates != nil, e.Keyless != nil, e.Attestor != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				errs = append(errs, fmt.Errorf("%s: give exactly one of keys, certificates, keyless or attestor", ep))
				continue
			}
			if e.Repository != "" {
				errs = append(errs, fmt.Errorf("%s.repository: signatures in another repository are not supported yet", ep))
				continue
			}
			switch {
			case e.Attestor != nil:
				errs = append(errs, fmt.Errorf("%s.attestor: nested attestor sets are not supported", ep))
			case e.Keys != nil:
				k := e.Keys
				if transparencyRequired(k.Rekor) {
					*tlog = true
				}
				switch {
				case k.KMS != "":
					errs = append(errs, fmt.Errorf("%s.keys.kms: KMS keys are not supported yet", ep))
				case k.Secret != nil:
					errs = append(errs, fmt.Errorf("%s.keys.secret: keys in Kubernetes Secrets need cluster access; put the PEM in publicKeys", ep))
				case strings.HasPrefix(strings.TrimSpace(k.PublicKeys), "k8s://"):
					errs = append(errs, fmt.Errorf("%s.keys.publicKeys: k8s:// references need cluster access; put the PEM in publicKeys", ep))
				case strings.Contains(k.PublicKeys, "{{"):
					errs = append(errs, fmt.Errorf("%s.keys.publicKeys: variables (ConfigMap references) need cluster access; put the PEM in publicKeys", ep))
				case k.SignatureAlgorithm != "" && k.SignatureAlgorithm != "sha256":
					errs = append(errs, fmt.Errorf("%s.keys.signatureAlgorithm: %q is not supported (sha256 is)", ep, k.SignatureAlgorithm))
				default:
					keys := splitPEM(k.PublicKeys)
					if len(keys) == 0 {
						errs = append(errs, fmt.Errorf("%s.keys.publicKeys: no PEM public key found", ep))
					}
					// Several keys in one entry are separate entries of the
					// set, the count applying across them (Kyverno's rule).
					for ki, pemKey := range keys {
						name := fmt.Sprintf("%s key %d", ep, ki)
						if len(keys) == 1 {
							name = ep
						}
						entries = append(entries, api.Entry{Name: name, Key: &api.KeyEntry{PEM: pemKey}, Annotations: e.Annotations})
					}
				}
			case e.Certificates != nil:
				c := e.Certificates
				if transparencyRequired(c.Rekor) {
					*tlog = true
				}
				if c.Cert == "" && c.CertChain == "" {
					errs = append(errs, fmt.Errorf("%s.certificates: cert or certChain is required", ep))
					continue
				}
				entries = append(entries, api.Entry{Name: ep, Certificate: &api.CertificateEntry{Certificate: c.Cert, Chain: c.CertChain}, Annotations: e.Annotations})
			case e.Keyless != nil:
				k := e.Keyless
				if transparencyRequired(k.Rekor) {
					*tlog = true
				}
				id := verifier.Identity{
					Issuer:  verifier.Match{Exact: k.Issuer, Regexp: k.IssuerRegExp},
					Subject: verifier.Match{Exact: k.Subject, Regexp: k.SubjectRegExp},
				}
				if len(k.AdditionalExtensions) > 0 {
					id.Extensions = map[string]verifier.Match{}
					keys := make([]string, 0, len(k.AdditionalExtensions))
					for name := range k.AdditionalExtensions {
						keys = append(keys, name)
					}
					sort.Strings(keys)
					for _, name := range keys {
						sg, ok := extensionNames[name]
						if !ok {
							errs = append(errs, fmt.Errorf("%s.keyless.additionalExtensions.%s: unknown extension", ep, name))
							continue
						}
						id.Extensions[sg] = verifier.Match{Exact: k.AdditionalExtensions[name]}
					}
				}
				entries = append(entries, api.Entry{Name: ep, Keyless: &api.KeylessEntry{Identity: id, Roots: k.Roots}, Annotations: e.Annotations})
			}
		}
		ss := api.SignerSet{Name: sp, Entries: entries}
		if s.Count != nil && *s.Count > 0 {
			ss.Count = *s.Count
		}
		out = append(out, ss)
	}
	return out, errors.Join(errs...)
}

// transparencyRequired reports whether Kyverno requires a Rekor entry: it
// does (as cosign 2 does) unless ignoreTlog is true.
func transparencyRequired(r *rekor) bool {
	return r == nil || !r.IgnoreTlog
}

// splitPEM returns each PEM block of s on its own.
func splitPEM(s string) []string {
	var out []string
	rest := []byte(strings.TrimSpace(s))
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		out = append(out, string(pem.EncodeToMemory(b)))
	}
}
