package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

// TrustOptions are the flags that say whom to trust, as cosign's.
type TrustOptions struct {
	Keys               []string
	Certificate        string
	CertificateChain   string
	CARoots            string
	CAIntermediates    string
	TrustedRoot        string
	Identity           string
	IdentityRegexp     string
	Issuer             string
	IssuerRegexp       string
	InsecureIgnoreTlog bool
}

// AddFlags adds the trust flags.
func (o *TrustOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Keys, "key", nil, "public key a valid signature verifies with: a PEM file or env://VAR (repeatable: any of them)")
	fs.StringVar(&o.Certificate, "certificate", "", "PEM signing certificate to verify with (bring your own PKI); with --certificate-chain it must chain to that chain's root")
	fs.StringVar(&o.CertificateChain, "certificate-chain", "", "PEM chain for --certificate: its issuing intermediates, ending with the root")
	fs.StringVar(&o.CARoots, "ca-roots", "", "PEM root certificates: accept signatures whose own certificate chains to one of them (needs an identity flag)")
	fs.StringVar(&o.CAIntermediates, "ca-intermediates", "", "PEM intermediate certificates for --ca-roots")
	fs.StringVar(&o.TrustedRoot, "trusted-root", "", "Sigstore trusted_root.json: accept signatures whose certificate chains to one of its certificate authorities (needs an identity flag)")
	fs.StringVar(&o.Identity, "certificate-identity", "", "with --ca-roots: the signing certificate's identity (email or URI subject alternative name), exactly")
	fs.StringVar(&o.IdentityRegexp, "certificate-identity-regexp", "", "with --ca-roots: a regular expression (anchored) the identity must match")
	fs.StringVar(&o.Issuer, "certificate-oidc-issuer", "", "with --ca-roots: the OIDC issuer recorded in the certificate, exactly")
	fs.StringVar(&o.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "with --ca-roots: a regular expression (anchored) the OIDC issuer must match")
	fs.BoolVar(&o.InsecureIgnoreTlog, "insecure-ignore-tlog", true, "accepted for cosign compatibility: signatures are verified without a transparency log entry; false is refused until tlog verification exists")
}

// VerifierOptions loads the trust material the flags name.
func (o *TrustOptions) VerifierOptions(ctx context.Context) ([]verifier.Option, error) {
	if !o.InsecureIgnoreTlog {
		return nil, usageError{errors.New("--insecure-ignore-tlog=false: verifying transparency log entries is not supported yet")}
	}
	var opts []verifier.Option
	for _, ref := range o.Keys {
		pub, err := signer.LoadPublicKey(ctx, ref)
		if err != nil {
			return nil, usageError{err}
		}
		opts = append(opts, verifier.WithPublicKeys(verifier.TrustedKey{Name: ref, Key: pub}))
	}
	identitySet := o.Identity != "" || o.IdentityRegexp != "" || o.Issuer != "" || o.IssuerRegexp != ""
	switch {
	case o.Certificate != "":
		if o.CARoots != "" {
			return nil, usageError{errors.New("give --certificate or --ca-roots, not both")}
		}
		certs, err := readCerts(o.Certificate)
		if err != nil {
			return nil, err
		}
		ct := verifier.CertificateTrust{Name: o.Certificate, Certificate: certs[0]}
		if o.CertificateChain != "" {
			chain, err := readCerts(o.CertificateChain)
			if err != nil {
				return nil, err
			}
			ct.Roots, ct.Intermediates = chain[len(chain)-1:], chain[:len(chain)-1]
		}
		if identitySet {
			ct.Identity = o.identity()
		}
		opts = append(opts, verifier.WithCertificates(ct))
	case o.CARoots != "" && o.TrustedRoot != "":
		return nil, usageError{errors.New("give --ca-roots or --trusted-root, not both")}
	case o.CARoots != "":
		if !identitySet {
			return nil, usageError{errors.New("--ca-roots needs --certificate-identity, --certificate-identity-regexp, --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (use --certificate-identity-regexp '.*' to accept any identity the roots certify)")}
		}
		roots, err := readCerts(o.CARoots)
		if err != nil {
			return nil, err
		}
		ct := verifier.CertificateTrust{Name: o.CARoots, Roots: roots, Identity: o.identity()}
		if o.CAIntermediates != "" {
			if ct.Intermediates, err = readCerts(o.CAIntermediates); err != nil {
				return nil, err
			}
		}
		opts = append(opts, verifier.WithCertificates(ct))
	case o.TrustedRoot != "":
		if !identitySet {
			return nil, usageError{errors.New("--trusted-root needs --certificate-identity, --certificate-identity-regexp, --certificate-oidc-issuer or --certificate-oidc-issuer-regexp")}
		}
		tr, err := root.NewTrustedRootFromPath(o.TrustedRoot)
		if err != nil {
			return nil, usageError{fmt.Errorf("reading trusted root %s: %w", o.TrustedRoot, err)}
		}
		var cts []verifier.CertificateTrust
		for _, ca := range tr.FulcioCertificateAuthorities() {
			fca, ok := ca.(*root.FulcioCertificateAuthority)
			if !ok || fca.Root == nil {
				continue
			}
			cts = append(cts, verifier.CertificateTrust{Name: o.TrustedRoot, Roots: []*x509.Certificate{fca.Root}, Intermediates: fca.Intermediates, Identity: o.identity()})
		}
		if len(cts) == 0 {
			return nil, usageError{fmt.Errorf("trusted root %s has no certificate authority", o.TrustedRoot)}
		}
		opts = append(opts, verifier.WithCertificates(cts...))
	case o.CertificateChain != "" || o.CAIntermediates != "":
		return nil, usageError{errors.New("--certificate-chain needs --certificate, and --ca-intermediates needs --ca-roots")}
	case identitySet:
		return nil, usageError{errors.New("identity flags need --ca-roots or --certificate")}
	}
	if len(opts) == 0 {
		return nil, usageError{errors.New("--key, --certificate, --ca-roots or --trusted-root is required")}
	}
	return opts, nil
}

func (o *TrustOptions) identity() *verifier.Identity {
	return &verifier.Identity{
		Subject: verifier.Match{Exact: o.Identity, Regexp: o.IdentityRegexp},
		Issuer:  verifier.Match{Exact: o.Issuer, Regexp: o.IssuerRegexp},
	}
}

func readCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(b)
	if err != nil || len(certs) == 0 {
		return nil, usageError{fmt.Errorf("%s holds no PEM certificate", path)}
	}
	return certs, nil
}
