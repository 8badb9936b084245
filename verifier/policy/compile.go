package policy

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
	"github.com/tollgate-dev/tollgate/verifier/conditions"
	"github.com/tollgate-dev/tollgate/verifier/policy/api"
)

// compiled is a policy checked and ready to evaluate.
type compiled struct {
	name, source  string
	doc           api.Policy
	images, skip  []pattern
	sets          []signerSet
	atts          []attestation
	tlog          bool
	requireDigest bool
	mutateDigest  bool
}

type signerSet struct {
	name    string
	count   int
	entries []entry
}

type entry struct {
	name        string
	key         *verifier.TrustedKey
	cert        *verifier.CertificateTrust
	annotations map[string]string
	tlog        bool // the entry needs a verified transparency log entry
}

type attestation struct {
	name          string
	predicateType string
	sets          []signerSet
	program       *conditions.Program
}

// compilePolicy checks p fully and returns its evaluable form, or every
// problem found, each prefixed with its field path.
func compilePolicy(p api.Policy, baseDir string) (*compiled, []error) {
	c := &compiled{name: p.Metadata.Name, requireDigest: p.Spec.RequireDigest, mutateDigest: true}
	if p.Spec.MutateDigest != nil {
		c.mutateDigest = *p.Spec.MutateDigest
	}
	var errs []error
	fail := func(path string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if len(p.Spec.Images) == 0 {
		fail("spec.images", "at least one image pattern is required")
	}
	for i, s := range p.Spec.Images {
		pt, err := compilePattern(s)
		if err != nil {
			fail(fmt.Sprintf("spec.images[%d]", i), "%v", err)
		}
		c.images = append(c.images, pt)
	}
	for i, s := range p.Spec.SkipImages {
		pt, err := compilePattern(s)
		if err != nil {
			fail(fmt.Sprintf("spec.skipImages[%d]", i), "%v", err)
		}
		c.skip = append(c.skip, pt)
	}
	if len(p.Spec.Signers) == 0 && len(p.Spec.Attestations) == 0 {
		fail("spec", "requires neither signers nor attestations: a policy must require something")
	}

	// Transparency.
	tlogDefault := hasKeyless(p.Spec.Signers)
	for _, a := range p.Spec.Attestations {
		tlogDefault = tlogDefault || hasKeyless(a.Signers)
	}
	c.tlog = tlogDefault
	if t := p.Spec.Transparency; t != nil {
		switch t.TLog {
		case "":
		case api.Require:
			c.tlog = true
		case api.Ignore:
			c.tlog = false
		default:
			fail("spec.transparency.tlog", "%q is neither %s nor %s", t.TLog, api.Require, api.Ignore)
		}
		switch t.SCT {
		case "", api.Ignore, api.Require:
		default:
			fail("spec.transparency.sct", "%q is neither %s nor %s", t.SCT, api.Require, api.Ignore)
		}
		for field, v := range map[string]string{
			"rekorPublicKey": t.RekorPublicKey, "rekorPublicKeyFile": t.RekorPublicKeyFile,
			"ctLogPublicKey": t.CTLogPublicKey, "ctLogPublicKeyFile": t.CTLogPublicKeyFile,
		} {
			if v != "" && !c.tlog {
				fail("spec.transparency."+field, "given, but the transparency log is not required (tlog: %s)", t.TLog)
			}
		}
		if t.TrustedRootFile != "" {
			if _, err := readRef(t.TrustedRootFile, baseDir); err != nil {
				fail("spec.transparency.trustedRootFile", "%v", err)
			}
		}
	}

	c.sets = compileSets(p.Spec.Signers, "spec.signers", baseDir, c.tlog, fail)
	for i, a := range p.Spec.Attestations {
		path := fmt.Sprintf("spec.attestations[%d]", i)
		ca := attestation{name: a.Name}
		if ca.name == "" {
			ca.name = a.PredicateType
		}
		pt, err := evidence.ParsePredicateType(a.PredicateType)
		if err != nil {
			fail(path+".predicateType", "%v", err)
		}
		ca.predicateType = pt
		if len(a.Signers) > 0 {
			ca.sets = compileSets(a.Signers, path+".signers", baseDir, c.tlog, fail)
		} else if len(p.Spec.Signers) > 0 {
			ca.sets = c.sets
		} else {
			fail(path+".signers", "required: the policy has no signers to inherit")
		}
		if a.Conditions != nil {
			prog, err := conditions.Compile(*a.Conditions)
			if err != nil {
				fail(path+".conditions", "%v", err)
			}
			ca.program = prog
		}
		c.atts = append(c.atts, ca)
	}
	return c, errs
}

func hasKeyless(sets []api.SignerSet) bool {
	for _, s := range sets {
		for _, e := range s.Entries {
			if e.Keyless != nil {
				return true
			}
		}
	}
	return false
}

func compileSets(sets []api.SignerSet, path, baseDir string, tlog bool, fail func(string, string, ...any)) []signerSet {
	var out []signerSet
	for i, s := range sets {
		sp := fmt.Sprintf("%s[%d]", path, i)
		cs := signerSet{name: s.Name, count: s.Count}
		if cs.name == "" {
			cs.name = fmt.Sprintf("signers[%d]", i)
		}
		if len(s.Entries) == 0 {
			fail(sp+".entries", "at least one entry is required")
		}
		if s.Count < 0 || s.Count > len(s.Entries) {
			fail(sp+".count", "%d: must be between 1 and the number of entries (%d); 0 or absent means all", s.Count, len(s.Entries))
		}
		if cs.count == 0 {
			cs.count = len(s.Entries)
		}
		seen := map[string]string{}
		for j, e := range s.Entries {
			ep := fmt.Sprintf("%s.entries[%d]", sp, j)
			ce, id, err := compileEntry(e, baseDir)
			if err != nil {
				fail(ep, "%v", err)
				continue
			}
			if ce.name == "" {
				ce.name = fmt.Sprintf("entries[%d]", j)
			}
			// The same signer twice would let one signature count twice.
			if prev, dup := seen[id]; dup {
				fail(ep, "the same signer as %s: a threshold counts distinct signers", prev)
				continue
			}
			seen[id] = ep
			ce.annotations = merge(s.Annotations, e.Annotations)
			ce.tlog = tlog
			cs.entries = append(cs.entries, ce)
		}
		out = append(out, cs)
	}
	return out
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

// compileEntry checks one entry and returns it with an identifier that is
// equal for two entries that would accept the same signatures.
func compileEntry(e api.Entry, baseDir string) (entry, string, error) {
	n := 0
	for _, set := range []bool{e.Key != nil, e.Certificate != nil, e.Keyless != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return entry{}, "", fmt.Errorf("give exactly one of key, certificate or keyless")
	}
	ce := entry{name: e.Name}
	switch {
	case e.Key != nil:
		k := e.Key
		var pemData []byte
		switch {
		case countSet(k.PEM, k.File, k.KMS) != 1:
			return entry{}, "", fmt.Errorf("key: give exactly one of pem, file or kms")
		case k.KMS != "":
			return entry{}, "", fmt.Errorf("key.kms: KMS keys are not supported yet")
		case k.File != "":
			b, err := readRef(k.File, baseDir)
			if err != nil {
				return entry{}, "", fmt.Errorf("key.file: %v", err)
			}
			pemData = b
			if ce.name == "" {
				ce.name = k.File
			}
		default:
			pemData = []byte(k.PEM)
		}
		pub, err := signer.ParsePublicKey(pemData)
		if err != nil {
			return entry{}, "", fmt.Errorf("key: %v", err)
		}
		tk := verifier.TrustedKey{Name: ce.name, Key: pub}
		if tk.Name == "" {
			tk.Name = "key " + tk.ID()[:12]
			ce.name = tk.Name
		}
		ce.key = &tk
		return ce, "key:" + tk.ID(), nil
	case e.Certificate != nil:
		c := e.Certificate
		ct := verifier.CertificateTrust{Name: ce.name, Identity: c.Identity}
		certs, err := pemField("certificate", c.Certificate, c.CertificateFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		if len(certs) > 1 {
			return entry{}, "", fmt.Errorf("certificate: holds %d certificates; put the issuers in chain", len(certs))
		}
		if len(certs) == 1 {
			ct.Certificate = certs[0]
		}
		chain, err := pemField("chain", c.Chain, c.ChainFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		roots, err := pemField("roots", c.Roots, c.RootsFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		inter, err := pemField("intermediates", c.Intermediates, c.IntermediatesFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		if len(chain) > 0 {
			// A chain ends with its root; the rest are intermediates.
			roots = append(roots, chain[len(chain)-1])
			inter = append(inter, chain[:len(chain)-1]...)
		}
		ct.Roots, ct.Intermediates = roots, inter
		if ct.Certificate == nil && len(ct.Roots) == 0 {
			return entry{}, "", fmt.Errorf("certificate: give a certificate, a chain or roots")
		}
		if ct.Certificate != nil && len(ct.Roots) > 0 {
			pool, ipool := x509.NewCertPool(), x509.NewCertPool()
			for _, r := range ct.Roots {
				pool.AddCert(r)
			}
			for _, r := range ct.Intermediates {
				ipool.AddCert(r)
			}
			if _, err := ct.Certificate.Verify(x509.VerifyOptions{Roots: pool, Intermediates: ipool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, CurrentTime: ct.Certificate.NotBefore}); err != nil {
				return entry{}, "", fmt.Errorf("certificate: does not chain to the given roots: %v", err)
			}
		}
		if ct.Name == "" {
			ct.Name = certName(ct)
			ce.name = ct.Name
		}
		if _, err := verifier.New(verifier.WithCertificates(ct)); err != nil {
			return entry{}, "", fmt.Errorf("certificate: %v", err)
		}
		ce.cert = &ct
		return ce, "cert:" + identityKey(ct), nil
	default:
		k := e.Keyless
		id := k.Identity
		if id.Issuer.IsZero() || id.Subject.IsZero() {
			return entry{}, "", fmt.Errorf("keyless: both issuer and subject are required")
		}
		if g := k.GitHub; g != nil {
			if id.Extensions == nil {
				id.Extensions = map[string]verifier.Match{}
			}
			for name, v := range map[string]string{
				"githubWorkflowRepository": g.Repository, "githubWorkflowRef": g.Ref, "githubWorkflowTrigger": g.Trigger,
				"githubWorkflowSHA": g.SHA, "buildConfigURI": workflowURI(g.WorkflowRef),
				"sourceRepositoryOwnerURI": ownerURI(g.Owner),
			} {
				if v != "" {
					id.Extensions[name] = verifier.Match{Exact: v}
				}
			}
		}
		roots, err := pemField("roots", k.Roots, k.RootsFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		inter, err := pemField("intermediates", k.Intermediates, k.IntermediatesFile, baseDir)
		if err != nil {
			return entry{}, "", err
		}
		if len(roots) == 0 {
			return entry{}, "", fmt.Errorf("keyless: roots are required (Fulcio's CA certificates; a trusted_root.json in spec.transparency is not read yet)")
		}
		ct := verifier.CertificateTrust{Name: ce.name, Roots: roots, Intermediates: inter, Identity: &id}
		if ct.Name == "" {
			ct.Name = fmt.Sprintf("keyless issuer %s subject %s", id.Issuer, id.Subject)
			ce.name = ct.Name
		}
		if _, err := verifier.New(verifier.WithCertificates(ct)); err != nil {
			return entry{}, "", fmt.Errorf("keyless: %v", err)
		}
		ce.cert = &ct
		return ce, "keyless:" + identityKey(ct), nil
	}
}

func workflowURI(ref string) string {
	if ref == "" {
		return ""
	}
	return "https://github.com/" + ref
}

func ownerURI(owner string) string {
	if owner == "" {
		return ""
	}
	return "https://github.com/" + owner
}

func certName(ct verifier.CertificateTrust) string {
	if ct.Certificate != nil {
		return "certificate " + ct.Certificate.Subject.String()
	}
	return "certificates issued by " + ct.Roots[0].Subject.String()
}

// identityKey is equal for two certificate trusts that accept the same
// signatures.
func identityKey(ct verifier.CertificateTrust) string {
	var b strings.Builder
	if ct.Certificate != nil {
		b.Write(ct.Certificate.Raw)
	}
	for _, r := range ct.Roots {
		b.Write(r.Raw)
	}
	if id := ct.Identity; id != nil {
		fmt.Fprintf(&b, "|%v|%v|%v", id.Issuer, id.Subject, id.Extensions)
	}
	return b.String()
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// pemField reads PEM certificates given inline or as a file.
func pemField(name, inline, file, baseDir string) ([]*x509.Certificate, error) {
	var data []byte
	switch {
	case inline != "" && file != "":
		return nil, fmt.Errorf("%s: give it inline or as %sFile, not both", name, name)
	case file != "":
		b, err := readRef(file, baseDir)
		if err != nil {
			return nil, fmt.Errorf("%sFile: %v", name, err)
		}
		data = b
	case inline != "":
		data = []byte(inline)
	default:
		return nil, nil
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(bytes.TrimSpace(data))
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate found", name)
	}
	return certs, nil
}

// readRef reads a file named in a policy, relative to the policy's directory.
func readRef(name, baseDir string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(baseDir, name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return b, nil
}
