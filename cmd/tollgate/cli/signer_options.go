package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"os"

	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/signer"
)

// SignerOptions are the flags that choose how to sign, as cosign's.
type SignerOptions struct {
	Key              string
	Certificate      string
	CertificateChain string
}

// AddFlags adds --key, --certificate and --certificate-chain.
func (o *SignerOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Key, "key", "", "private key: a file (cosign's encrypted format or PEM PKCS#8/SEC1/PKCS#1) or env://VAR")
	fs.StringVar(&o.Certificate, "certificate", "", "PEM certificate of the signing key, attached to each signature (bring your own PKI)")
	fs.StringVar(&o.CertificateChain, "certificate-chain", "", "PEM intermediates (and optionally root) that issued --certificate, attached to each signature")
}

// Signer loads the signer the flags describe. The password of an encrypted
// key comes from $COSIGN_PASSWORD, the terminal or standard input.
func (o *SignerOptions) Signer(ctx context.Context, streams IO) (signer.Signer, error) {
	finish, err := o.Loader(ctx, streams)
	if err != nil {
		return nil, err
	}
	return finish()
}

// Loader does the quick part of loading the signer at once (reading the key
// and certificate files, asking the password), so that their errors come
// before any registry work, and returns the slow rest (decrypting the key) as
// a function to run alongside it. Errors of both are usage errors.
func (o *SignerOptions) Loader(ctx context.Context, streams IO) (func() (signer.Signer, error), error) {
	if o.Key == "" {
		return nil, usageError{errors.New("--key is required")}
	}
	if o.CertificateChain != "" && o.Certificate == "" {
		return nil, usageError{errors.New("--certificate-chain needs --certificate")}
	}
	var certs []*x509.Certificate
	if o.Certificate != "" {
		cert, err := os.ReadFile(o.Certificate)
		if err != nil {
			return nil, usageError{err}
		}
		var chain []byte
		if o.CertificateChain != "" {
			if chain, err = os.ReadFile(o.CertificateChain); err != nil {
				return nil, usageError{err}
			}
		}
		if certs, err = signer.ParseCertificateChain(cert, chain); err != nil {
			return nil, usageError{err}
		}
	}
	finish, err := signer.Prepare(ctx, o.Key, signer.WithPassFunc(passFunc(streams.In, streams.Err)))
	if err != nil {
		return nil, usageError{err}
	}
	return func() (signer.Signer, error) {
		s, err := finish()
		if err != nil {
			return nil, usageError{err}
		}
		if certs == nil {
			return s, nil
		}
		// Whether the certificate is the key's is known once the key is.
		cs, err := signer.WithCertificateChain(s, certs)
		if err != nil {
			return nil, usageError{err}
		}
		return cs, nil
	}, nil
}
