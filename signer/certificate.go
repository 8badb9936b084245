package signer

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// CertificateSigner is a Signer whose public key is certified: signatures
// carry the certificate and its chain, so that verifiers can check them
// against roots and identities instead of a bare key.
type CertificateSigner interface {
	Signer
	// CertificateChain returns the signing certificate first, then the
	// intermediates and, if given, the root.
	CertificateChain() []*x509.Certificate
}

// ErrCertificateMismatch: the certificate does not certify the signer's key.
var ErrCertificateMismatch = errors.New("certificate does not match the signing key")

type certSigner struct {
	Signer
	chain []*x509.Certificate
}

func (c *certSigner) CertificateChain() []*x509.Certificate { return c.chain }

// WithCertificate returns s with a certificate and chain attached (bring your
// own PKI, as cosign's --certificate and --certificate-chain). cert is the
// PEM signing certificate; chain holds PEM intermediates and optionally the
// root, and may be empty. The certificate must certify s's public key, and
// the chain, when given, must be its issuers in order.
func WithCertificate(s Signer, cert, chain []byte) (CertificateSigner, error) {
	certs, err := ParseCertificateChain(cert, chain)
	if err != nil {
		return nil, err
	}
	return WithCertificateChain(s, certs)
}

// ParseCertificateChain parses what WithCertificate takes: the PEM signing
// certificate, alone in cert, and its PEM issuers in order in chain (which
// may be empty), each signed by the next. It returns them leaf first.
func ParseCertificateChain(cert, chain []byte) ([]*x509.Certificate, error) {
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(cert)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%w: certificate: no PEM certificate found", ErrUnsupportedKey)
	}
	if len(certs) > 1 {
		return nil, fmt.Errorf("%w: certificate file holds %d certificates; put the issuers in the chain file", ErrUnsupportedKey, len(certs))
	}
	out := []*x509.Certificate{certs[0]}
	if len(bytes.TrimSpace(chain)) > 0 {
		rest, err := cryptoutils.UnmarshalCertificatesFromPEM(chain)
		if err != nil || len(rest) == 0 {
			return nil, fmt.Errorf("%w: certificate chain: no PEM certificate found", ErrUnsupportedKey)
		}
		for i, c := range rest {
			if err := out[i].CheckSignatureFrom(c); err != nil {
				return nil, fmt.Errorf("%w: certificate chain: certificate %d (%s) is not signed by certificate %d (%s): %v", ErrUnsupportedKey, i, out[i].Subject, i+1, c.Subject, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// WithCertificateChain returns s with certs attached, as parsed by
// ParseCertificateChain; the first must certify s's public key.
func WithCertificateChain(s Signer, certs []*x509.Certificate) (CertificateSigner, error) {
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrUnsupportedKey)
	}
	if err := cryptoutils.EqualKeys(certs[0].PublicKey, s.Public()); err != nil {
		return nil, ErrCertificateMismatch
	}
	return &certSigner{Signer: s, chain: certs}, nil
}

// PEMChain encodes certificates as concatenated PEM blocks.
func PEMChain(certs []*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}
