package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
	"google.golang.org/protobuf/encoding/protojson"
)

// Predicate types with a name of their own.
const (
	// PredicateSLSAProvenance1 is SLSA Provenance v1.
	PredicateSLSAProvenance1 = slsa1.PredicateSLSAProvenance
	// PredicateSLSAProvenance02 is SLSA Provenance v0.2.
	PredicateSLSAProvenance02 = slsa02.PredicateSLSAProvenance
	// PredicateCosignCustom is cosign's "custom" predicate type.
	PredicateCosignCustom = attestation.CosignCustomProvenanceV01
)

// PredicateTypes maps cosign's short predicate type names (cosign attest
// --type) to their URIs, with the same meaning as in cosign.
var PredicateTypes = map[string]string{
	"custom":           attestation.CosignCustomProvenanceV01,
	"slsaprovenance":   slsa02.PredicateSLSAProvenance,
	"slsaprovenance02": slsa02.PredicateSLSAProvenance,
	"slsaprovenance1":  slsa1.PredicateSLSAProvenance,
	"spdx":             in_toto.PredicateSPDX,
	"spdxjson":         in_toto.PredicateSPDX,
	"cyclonedx":        in_toto.PredicateCycloneDX,
	"link":             in_toto.PredicateLinkV1,
	"vuln":             attestation.CosignVulnProvenanceV01,
	"openvex":          attestation.OpenVexNamespace,
}

// PredicateTypeNames returns the short names, sorted, for help texts.
func PredicateTypeNames() []string {
	out := make([]string, 0, len(PredicateTypes))
	for k := range PredicateTypes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParsePredicateType returns the predicate type URI a --type value names: one
// of cosign's short names, or a URI.
func ParsePredicateType(t string) (string, error) {
	if uri, ok := PredicateTypes[t]; ok {
		return uri, nil
	}
	u, err := url.ParseRequestURI(t)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("invalid predicate type %q: want a URI or one of %s", t, strings.Join(PredicateTypeNames(), ", "))
	}
	return t, nil
}

// AttestationStatement builds the in-toto Statement v1 that `cosign attest
// --type typ --predicate FILE` would build for the image repo@d: typ is a
// short name or a URI, predicate the file's bytes. Predicates are read as
// cosign reads them (the custom type wraps any text with a timestamp; SLSA
// and link predicates must have their required fields; other types must be
// JSON). cosign writes Statement v0.1; tollgate writes v1, which every
// verifier reads.
func AttestationStatement(repo string, d v1.Hash, typ string, predicate []byte, now time.Time) ([]byte, error) {
	if d.Algorithm != "sha256" || len(d.Hex) != 64 {
		return nil, fmt.Errorf("attestation subject digest %q is not a sha256 digest", d)
	}
	hexDigest := d.Hex
	if _, err := ParsePredicateType(typ); err != nil {
		return nil, err
	}
	st, err := attestation.GenerateStatement(attestation.GenerateOpts{
		Predicate: bytes.NewReader(predicate),
		Type:      typ,
		Digest:    hexDigest,
		Repo:      repo,
		Time:      func() time.Time { return now },
	})
	if err != nil {
		return nil, fmt.Errorf("building %s statement: %w", typ, err)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["_type"] = json.RawMessage(`"` + intotov1.StatementTypeUri + `"`)
	raw, err = json.Marshal(m)
	if err != nil {
		return nil, err
	}
	// Round trip through the v1 type: validates, and gives stable output.
	v1st := &intotov1.Statement{}
	if err := protojson.Unmarshal(raw, v1st); err != nil {
		return nil, fmt.Errorf("encoding statement v1: %w", err)
	}
	if err := v1st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return protojson.Marshal(v1st)
}
