package kubewarden

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/policy/api"
	"github.com/tollgate-dev/tollgate/verifier/policy/internal/strict"
)

// APIVersions and Kinds this package reads.
var (
	APIVersions = []string{"policies.kubewarden.io/v1", "policies.kubewarden.io/v1alpha2"}
	Kinds       = []string{"ClusterAdmissionPolicy", "AdmissionPolicy"}
)

// GitHubIssuer is the OIDC issuer of GitHub Actions workflows.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

type document struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       spec           `json:"spec"`
	Status     any            `json:"status,omitempty"`
}

type spec struct {
	Module                                  string   `json:"module"`
	Settings                                settings `json:"settings"`
	Rules                                   any      `json:"rules,omitempty"`
	Mutating                                *bool    `json:"mutating,omitempty"`
	Mode                                    string   `json:"mode,omitempty"`
	PolicyServer                            string   `json:"policyServer,omitempty"`
	BackgroundAudit                         *bool    `json:"backgroundAudit,omitempty"`
	FailurePolicy                           string   `json:"failurePolicy,omitempty"`
	MatchPolicy                             string   `json:"matchPolicy,omitempty"`
	MatchConditions                         any      `json:"matchConditions,omitempty"`
	NamespaceSelector                       any      `json:"namespaceSelector,omitempty"`
	ObjectSelector                          any      `json:"objectSelector,omitempty"`
	SideEffects                             string   `json:"sideEffects,omitempty"`
	TimeoutSeconds                          *int     `json:"timeoutSeconds,omitempty"`
	ContextAwareResources                   any      `json:"contextAwareResources,omitempty"`
	Message                                 string   `json:"message,omitempty"`
	AllowInsideAdmissionControllerNamespace *bool    `json:"allowInsideAdmissionControllerNamespace,omitempty"`
}

type settings struct {
	Signatures             []signature `json:"signatures"`
	ModifyImagesWithDigest *bool       `json:"modifyImagesWithDigest,omitempty"`
}

type signature struct {
	Image              string            `json:"image"`
	PubKeys            []string          `json:"pubKeys,omitempty"`
	Keyless            []keyless         `json:"keyless,omitempty"`
	KeylessPrefix      []keylessPrefix   `json:"keylessPrefix,omitempty"`
	GitHubActions      *githubActions    `json:"githubActions,omitempty"`
	Certificates       []string          `json:"certificates,omitempty"`
	Certificate        []string          `json:"certificate,omitempty"`
	CertificateChain   []string          `json:"certificateChain,omitempty"`
	RequireRekorBundle *bool             `json:"requireRekorBundle,omitempty"`
	Annotations        map[string]string `json:"annotations,omitempty"`
}

type keyless struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}

type keylessPrefix struct {
	Issuer    string `json:"issuer"`
	URLPrefix string `json:"urlPrefix"`
}

type githubActions struct {
	Owner string `json:"owner"`
	Repo  string `json:"repo,omitempty"`
}

var moduleName = regexp.MustCompile(`(^|/)verify-image-signatures(:[^/]*)?(@sha256:[a-f0-9]{64})?$`)

// oldNames are the settings Kubewarden renamed to camelCase.
var oldNames = map[string]string{"github_actions": "githubActions", "keyless_prefix": "keylessPrefix", "url_prefix": "urlPrefix", "modify_images_with_digest": "modifyImagesWithDigest", "pub_keys": "pubKeys", "certificate_chain": "certificateChain", "require_rekor_bundle": "requireRekorBundle"}

// Convert turns one Kubewarden verify-image-signatures policy into tollgate
// policies, one per settings.signatures entry.
func Convert(data []byte, source string) ([]api.Policy, []string, error) {
	doc, err := strict.OneDocument(data)
	if err != nil {
		return nil, nil, err
	}
	var d document
	if err := strict.Decode(doc, &d); err != nil {
		for old, now := range oldNames {
			if strings.Contains(err.Error(), "."+old+": unknown field") {
				return nil, nil, fmt.Errorf("%w (the setting is now called %s)", err, now)
			}
		}
		return nil, nil, err
	}
	name, _ := d.Metadata["name"].(string)
	if name == "" {
		return nil, nil, errors.New("metadata.name: required")
	}
	mod := strings.TrimPrefix(strings.TrimPrefix(d.Spec.Module, "registry://"), "https://")
	if !moduleName.MatchString(mod) {
		return nil, nil, fmt.Errorf("spec.module: %q is not the verify-image-signatures policy", d.Spec.Module)
	}
	var warnings []string
	if d.Spec.Mode == "monitor" {
		warnings = append(warnings, "spec.mode: monitor: Kubewarden only reports; the gate enforces")
	}
	if d.Spec.Rules != nil || d.Spec.NamespaceSelector != nil || d.Spec.ObjectSelector != nil || d.Spec.MatchConditions != nil {
		warnings = append(warnings, "spec.rules, namespaceSelector, objectSelector and matchConditions select Kubernetes resources; the gate checks every image it is given")
	}
	if len(d.Spec.Settings.Signatures) == 0 {
		return nil, warnings, errors.New("spec.settings.signatures: at least one entry is required")
	}
	mutate := d.Spec.Settings.ModifyImagesWithDigest == nil || *d.Spec.Settings.ModifyImagesWithDigest
	var out []api.Policy
	var errs []error
	for i, s := range d.Spec.Settings.Signatures {
		sp := fmt.Sprintf("spec.settings.signatures[%d]", i)
		p, err := convertSignature(s, sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Spec.MutateDigest = &mutate
		p.Metadata = api.Metadata{Name: fmt.Sprintf("%s/%d", name, i), Annotations: map[string]string{"tollgate.dev/source": fmt.Sprintf("%s %s/%s %s", d.APIVersion, d.Kind, name, sp)}}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	return out, warnings, nil
}

func convertSignature(s signature, sp string) (api.Policy, error) {
	p := api.Policy{APIVersion: api.APIVersion, Kind: api.KindPolicy}
	if s.Image == "" {
		return p, fmt.Errorf("%s.image: required", sp)
	}
	p.Spec.Images = []string{s.Image}
	kinds := 0
	for _, set := range []bool{len(s.PubKeys) > 0, len(s.Keyless) > 0, len(s.KeylessPrefix) > 0, s.GitHubActions != nil, len(s.Certificates)+len(s.Certificate) > 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return p, fmt.Errorf("%s: give exactly one of pubKeys, keyless, keylessPrefix, githubActions or certificates", sp)
	}
	if len(s.CertificateChain) > 0 && len(s.Certificates)+len(s.Certificate) == 0 {
		return p, fmt.Errorf("%s.certificateChain: only goes with certificates", sp)
	}
	if s.RequireRekorBundle != nil && len(s.Certificates)+len(s.Certificate) == 0 {
		return p, fmt.Errorf("%s.requireRekorBundle: only goes with certificates", sp)
	}
	var entries []api.Entry
	switch {
	case len(s.PubKeys) > 0:
		for i, k := range s.PubKeys {
			entries = append(entries, api.Entry{Name: fmt.Sprintf("%s.pubKeys[%d]", sp, i), Key: &api.KeyEntry{PEM: k}})
		}
	case len(s.Certificates)+len(s.Certificate) > 0:
		chain := strings.Join(s.CertificateChain, "\n")
		for i, c := range append(append([]string{}, s.Certificates...), s.Certificate...) {
			entries = append(entries, api.Entry{Name: fmt.Sprintf("%s.certificates[%d]", sp, i), Certificate: &api.CertificateEntry{Certificate: c, Chain: chain}})
		}
	case len(s.Keyless) > 0:
		for i, k := range s.Keyless {
			entries = append(entries, api.Entry{Name: fmt.Sprintf("%s.keyless[%d]", sp, i), Keyless: &api.KeylessEntry{Identity: verifier.Identity{Issuer: verifier.Match{Exact: k.Issuer}, Subject: verifier.Match{Exact: k.Subject}}}})
		}
	case len(s.KeylessPrefix) > 0:
		for i, k := range s.KeylessPrefix {
			entries = append(entries, api.Entry{Name: fmt.Sprintf("%s.keylessPrefix[%d]", sp, i), Keyless: &api.KeylessEntry{Identity: verifier.Identity{Issuer: verifier.Match{Exact: k.Issuer}, Subject: verifier.Match{Prefix: k.URLPrefix}}}})
		}
	default:
		g := s.GitHubActions
		if g.Owner == "" {
			return p, fmt.Errorf("%s.githubActions.owner: required", sp)
		}
		claims := &api.GitHubClaims{Owner: g.Owner}
		subject := "https://github.com/" + g.Owner + "/"
		if g.Repo != "" {
			claims.Repository = g.Owner + "/" + g.Repo
			subject += g.Repo + "/"
		}
		entries = append(entries, api.Entry{Name: sp + ".githubActions", Keyless: &api.KeylessEntry{Identity: verifier.Identity{Issuer: verifier.Match{Exact: GitHubIssuer}, Subject: verifier.Match{Prefix: subject}}, GitHub: claims}})
	}
	// Every constraint must be satisfied: the threshold is all entries.
	p.Spec.Signers = []api.SignerSet{{Name: sp, Entries: entries, Annotations: s.Annotations}}
	tlog := api.Ignore
	if (s.RequireRekorBundle != nil && *s.RequireRekorBundle) || len(s.Keyless)+len(s.KeylessPrefix) > 0 || s.GitHubActions != nil {
		tlog = api.Require
	}
	p.Spec.Transparency = &api.Transparency{TLog: tlog}
	return p, nil
}
