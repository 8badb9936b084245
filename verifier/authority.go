package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// ErrCertificate: a signature's certificate is not trusted (no chain to a
// root, expired, not for code signing, identity not allowed).
var ErrCertificate = errors.New("certificate not trusted")

// Match matches a string: exactly one of Exact, Prefix or Regexp. A regular
// expression is always anchored at both ends.
type Match struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regexp string `json:"regexp,omitempty"`
}

// IsZero reports whether the match is unset (matches anything).
func (m Match) IsZero() bool { return m == Match{} }

func (m Match) String() string {
	switch {
	case m.Exact != "":
		return fmt.Sprintf("%q", m.Exact)
	case m.Prefix != "":
		return fmt.Sprintf("prefix %q", m.Prefix)
	case m.Regexp != "":
		return fmt.Sprintf("regexp %q", m.Regexp)
	}
	return "anything"
}

type matcher func(string) bool

func (m Match) compile() (matcher, error) {
	n := 0
	for _, s := range []string{m.Exact, m.Prefix, m.Regexp} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, errors.New("give one of exact, prefix or regexp")
	case m.Exact != "":
		return func(s string) bool { return s == m.Exact }, nil
	case m.Prefix != "":
		return func(s string) bool { return strings.HasPrefix(s, m.Prefix) }, nil
	case m.Regexp != "":
		re, err := regexp.Compile(`^(?:` + m.Regexp + `)$`)
		if err != nil {
			return nil, fmt.Errorf("regexp %q: %w", m.Regexp, err)
		}
		return re.MatchString, nil
	}
	return func(string) bool { return true }, nil
}

// Identity constrains the identity a certificate certifies.
type Identity struct {
	// Issuer matches the OIDC issuer recorded in the certificate (Fulcio's
	// extension 1.3.6.1.4.1.57264.1.8, or .1.1).
	Issuer Match `json:"issuer"`
	// Subject matches any subject alternative name (email, URI, DNS name).
	Subject Match `json:"subject"`
	// Extensions match Fulcio certificate extensions by the names sigstore-go
	// gives them (githubWorkflowRepository, sourceRepositoryURI,
	// sourceRepositoryRef, buildSignerURI, runnerEnvironment, ...).
	Extensions map[string]Match `json:"extensions,omitempty"`
}

// CertificateTrust trusts signatures made with certificates: a pinned signing
// certificate, or any certificate that chains to Roots, optionally limited to
// an identity.
type CertificateTrust struct {
	// Name identifies this trust in reports.
	Name string
	// Certificate, when set, is the only signing certificate accepted (the
	// signature's own certificate is then ignored, as cosign --certificate
	// does). Without Roots it is trusted as it is.
	Certificate *x509.Certificate
	// Roots are trust anchors; Intermediates may help build chains.
	Roots, Intermediates []*x509.Certificate
	// Identity, when set, must match the signing certificate.
	Identity *Identity
}

// authority is one thing a signature may verify with: a public key, or
// certificate trust.
type authority struct {
	name, id string
	// key authorities
	verifiers []signature.Verifier
	// certificate authorities
	cert     *CertificateTrust
	roots    *x509.CertPool
	inter    *x509.CertPool
	issuer   matcher
	subject  matcher
	exts     map[string]matcher
	clock    func() time.Time
	identity string
}

func keyAuthority(k TrustedKey) (*authority, error) {
	switch k.Key.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("trusted key %s: unsupported key type %T", k.Name, k.Key)
	}
	vs, err := keyVerifiers(k.Key)
	if err != nil {
		return nil, fmt.Errorf("trusted key %s: %w", k.Name, err)
	}
	return &authority{name: k.Name, id: k.ID(), verifiers: vs}, nil
}

func certAuthority(ct CertificateTrust, clock func() time.Time) (*authority, error) {
	if ct.Certificate == nil && len(ct.Roots) == 0 {
		return nil, fmt.Errorf("certificate trust %s: give a certificate or roots", ct.Name)
	}
	a := &authority{name: ct.Name, cert: &ct, clock: clock}
	if len(ct.Roots) > 0 {
		a.roots, a.inter = x509.NewCertPool(), x509.NewCertPool()
		for _, r := range ct.Roots {
			a.roots.AddCert(r)
		}
		for _, c := range ct.Intermediates {
			a.inter.AddCert(c)
		}
	}
	if ct.Certificate != nil {
		a.id = fingerprint(ct.Certificate.Raw)
	} else {
		a.id = fingerprint(ct.Roots[0].Raw)
	}
	if id := ct.Identity; id != nil {
		var err error
		if a.issuer, err = id.Issuer.compile(); err != nil {
			return nil, fmt.Errorf("certificate trust %s: issuer: %w", ct.Name, err)
		}
		if a.subject, err = id.Subject.compile(); err != nil {
			return nil, fmt.Errorf("certificate trust %s: subject: %w", ct.Name, err)
		}
		a.exts = map[string]matcher{}
		for k, m := range id.Extensions {
			if _, ok := extensionValue(certificate.Extensions{}, k); !ok {
				return nil, fmt.Errorf("certificate trust %s: unknown certificate extension %q", ct.Name, k)
			}
			if a.exts[k], err = m.compile(); err != nil {
				return nil, fmt.Errorf("certificate trust %s: extension %s: %w", ct.Name, k, err)
			}
		}
		a.identity = fmt.Sprintf("issuer %s, subject %s", id.Issuer, id.Subject)
	}
	return a, nil
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// verifiersFor returns the verifiers a signature carrying the given
// certificate material may verify with under this authority, or why it
// cannot.
func (a *authority) verifiersFor(attachedCert []byte, attachedChain []byte) ([]signature.Verifier, error) {
	if a.cert == nil {
		return a.verifiers, nil
	}
	leaf := a.cert.Certificate
	if leaf == nil {
		if len(attachedCert) == 0 {
			return nil, fmt.Errorf("%w: the signature carries no certificate", ErrCertificate)
		}
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM(attachedCert)
		if err != nil || len(certs) == 0 {
			if c, derr := x509.ParseCertificate(attachedCert); derr == nil {
				certs = []*x509.Certificate{c}
			} else {
				return nil, fmt.Errorf("%w: the signature's certificate does not parse", ErrCertificate)
			}
		}
		leaf = certs[0]
	}
	now := a.clock()
	if a.roots != nil {
		inter := a.inter.Clone()
		if len(attachedChain) > 0 {
			if certs, err := cryptoutils.UnmarshalCertificatesFromPEM(attachedChain); err == nil {
				for _, c := range certs {
					inter.AddCert(c)
				}
			}
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: a.roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
		}
	} else if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("%w: certificate %s is valid from %s to %s", ErrCertificate, leaf.Subject, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	if a.cert.Identity != nil {
		if err := a.checkIdentity(leaf); err != nil {
			return nil, err
		}
	}
	return keyVerifiers(leaf.PublicKey)
}

func (a *authority) checkIdentity(leaf *x509.Certificate) error {
	sum, err := certificate.SummarizeCertificate(leaf)
	if err != nil {
		// Certificates from other PKIs have no Fulcio extensions: read the
		// subject alternative names directly.
		sum = certificate.Summary{}
	}
	sans := append([]string{}, leaf.EmailAddresses...)
	for _, u := range leaf.URIs {
		sans = append(sans, u.String())
	}
	sans = append(sans, leaf.DNSNames...)
	if sum.SubjectAlternativeName != "" && !slices.Contains(sans, sum.SubjectAlternativeName) {
		sans = append(sans, sum.SubjectAlternativeName)
	}
	if !a.issuer(sum.Issuer) {
		return fmt.Errorf("%w: issuer %q does not match %s", ErrCertificate, sum.Issuer, a.cert.Identity.Issuer)
	}
	matched := a.cert.Identity.Subject.IsZero()
	for _, s := range sans {
		matched = matched || a.subject(s)
	}
	if !matched {
		return fmt.Errorf("%w: subject %q does not match %s", ErrCertificate, strings.Join(sans, ", "), a.cert.Identity.Subject)
	}
	for k, m := range a.exts {
		v, _ := extensionValue(sum.Extensions, k)
		if !m(v) {
			return fmt.Errorf("%w: extension %s is %q, want %s", ErrCertificate, k, v, a.cert.Identity.Extensions[k])
		}
	}
	return nil
}

// extensionValue returns the Fulcio extension with the given JSON name.
func extensionValue(e certificate.Extensions, name string) (string, bool) {
	m := map[string]string{
		"issuer":                              e.Issuer,
		"githubWorkflowTrigger":               e.GithubWorkflowTrigger,
		"githubWorkflowSHA":                   e.GithubWorkflowSHA,
		"githubWorkflowName":                  e.GithubWorkflowName,
		"githubWorkflowRepository":            e.GithubWorkflowRepository,
		"githubWorkflowRef":                   e.GithubWorkflowRef,
		"buildSignerURI":                      e.BuildSignerURI,
		"buildSignerDigest":                   e.BuildSignerDigest,
		"runnerEnvironment":                   e.RunnerEnvironment,
		"sourceRepositoryURI":                 e.SourceRepositoryURI,
		"sourceRepositoryDigest":              e.SourceRepositoryDigest,
		"sourceRepositoryRef":                 e.SourceRepositoryRef,
		"sourceRepositoryIdentifier":          e.SourceRepositoryIdentifier,
		"sourceRepositoryOwnerURI":            e.SourceRepositoryOwnerURI,
		"sourceRepositoryOwnerIdentifier":     e.SourceRepositoryOwnerIdentifier,
		"buildConfigURI":                      e.BuildConfigURI,
		"buildConfigDigest":                   e.BuildConfigDigest,
		"buildTrigger":                        e.BuildTrigger,
		"runInvocationURI":                    e.RunInvocationURI,
		"sourceRepositoryVisibilityAtSigning": e.SourceRepositoryVisibilityAtSigning,
	}
	v, ok := m[name]
	return v, ok
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
	switch k := pub.(type) {
	case ed25519.PublicKey:
		pure, err := signature.LoadED25519Verifier(k)
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
