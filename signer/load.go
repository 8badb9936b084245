package signer

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of private keys.
const (
	// SigstorePrivateKeyPEMType is the type cosign writes for encrypted keys.
	SigstorePrivateKeyPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// CosignPrivateKeyPEMType is the type older cosign releases wrote.
	CosignPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
)

// PassFunc returns the password of an encrypted key. confirm is true when a
// new key is being encrypted and the password should be asked twice.
type PassFunc func(confirm bool) ([]byte, error)

// Option configures Load.
type Option func(*loadConfig)

type loadConfig struct {
	pass PassFunc
}

// WithPassFunc sets where the password of an encrypted key comes from. Without
// it, an encrypted key fails to load with ErrNoPassword.
func WithPassFunc(f PassFunc) Option { return func(c *loadConfig) { c.pass = f } }

// Load returns the Signer for a key reference:
//
//   - env://VAR: a PEM private key in the environment variable VAR;
//   - anything else without a scheme: a PEM private key file.
//
// A PEM private key is cosign's encrypted format (ENCRYPTED SIGSTORE PRIVATE
// KEY, or ENCRYPTED COSIGN PRIVATE KEY from older releases), PKCS#8 (PRIVATE
// KEY), SEC1 (EC PRIVATE KEY) or PKCS#1 (RSA PRIVATE KEY).
func Load(ctx context.Context, ref string, opts ...Option) (Signer, error) {
	finish, err := Prepare(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	return finish()
}

// Prepare does the quick part of Load: it reads the key reference, decodes
// the PEM block, parses a key in the clear and asks the password of an
// encrypted key, returning any error of these at once. The function it
// returns does the rest: for cosign's encrypted format that is the scrypt key
// derivation, slow by design (hundreds of milliseconds), which a caller can
// run while it does other work; a wrong password, and any error in the key
// under the encryption, is found there. Call it once.
func Prepare(ctx context.Context, ref string, opts ...Option) (func() (Signer, error), error) {
	var c loadConfig
	for _, o := range opts {
		o(&c)
	}
	if ref == "" {
		return nil, errors.New("no key reference")
	}
	data, err := readKeyRef(ref)
	if err != nil {
		return nil, err
	}
	finish, err := preparePrivateKey(data, c.pass)
	if err != nil {
		return nil, fmt.Errorf("loading key %s: %w", ref, err)
	}
	return func() (Signer, error) {
		s, err := finish()
		if err != nil {
			return nil, fmt.Errorf("loading key %s: %w", ref, err)
		}
		return s, nil
	}, nil
}

// ParsePrivateKey returns a Signer for the first PEM block of data. pass is
// asked only when the key is encrypted.
func ParsePrivateKey(data []byte, pass PassFunc) (Signer, error) {
	finish, err := preparePrivateKey(data, pass)
	if err != nil {
		return nil, err
	}
	return finish()
}

// preparePrivateKey decodes the first PEM block of data and, for an encrypted
// key, asks its password; the function it returns decrypts and parses.
func preparePrivateKey(data []byte, pass PassFunc) (func() (Signer, error), error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrUnsupportedKey)
	}
	var parse func() (crypto.PrivateKey, error)
	switch block.Type {
	case SigstorePrivateKeyPEMType, CosignPrivateKeyPEMType:
		if pass == nil {
			return nil, ErrNoPassword
		}
		pw, perr := pass(false)
		if perr != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoPassword, perr)
		}
		parse = func() (crypto.PrivateKey, error) {
			der, derr := encrypted.Decrypt(block.Bytes, pw)
			if derr != nil {
				return nil, ErrWrongPassword
			}
			return x509.ParsePKCS8PrivateKey(der)
		}
	case "PRIVATE KEY":
		parse = func() (crypto.PrivateKey, error) { return x509.ParsePKCS8PrivateKey(block.Bytes) }
	case "EC PRIVATE KEY":
		parse = func() (crypto.PrivateKey, error) { return x509.ParseECPrivateKey(block.Bytes) }
	case "RSA PRIVATE KEY":
		parse = func() (crypto.PrivateKey, error) { return x509.ParsePKCS1PrivateKey(block.Bytes) }
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%w: password-protected PKCS#8 keys cannot be read; import the key with 'cosign import-key-pair' or decrypt it with 'openssl pkcs8'", ErrUnsupportedKey)
	case "PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("%w: found a %s, signing needs the private key", ErrUnsupportedKey, strings.ToLower(block.Type))
	default:
		return nil, fmt.Errorf("%w: PEM block of type %q", ErrUnsupportedKey, block.Type)
	}
	typ := block.Type
	finish := func() (Signer, error) {
		pk, err := parse()
		if errors.Is(err, ErrWrongPassword) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("%w: parsing %s: %v", ErrUnsupportedKey, typ, err)
		}
		// Not "return newKeySigner(pk)": on error that would return a non-nil
		// Signer holding a nil *keySigner.
		ks, err := newKeySigner(pk)
		if err != nil {
			return nil, err
		}
		return ks, nil
	}
	if typ == SigstorePrivateKeyPEMType || typ == CosignPrivateKeyPEMType {
		return finish, nil
	}
	// A key in the clear parses at once: only decryption is worth deferring.
	ks, err := finish()
	if err != nil {
		return nil, err
	}
	return func() (Signer, error) { return ks, nil }, nil
}

// readKeyRef returns the PEM bytes a file path or env://VAR reference names.
func readKeyRef(ref string) ([]byte, error) {
	if ref == "" {
		return nil, errors.New("no key reference")
	}
	scheme, rest, ok := strings.Cut(ref, "://")
	switch {
	case ok && scheme == "env":
		v, found := os.LookupEnv(rest)
		if !found || v == "" {
			return nil, fmt.Errorf("loading key %s: environment variable %s is not set", ref, rest)
		}
		return []byte(v), nil
	case ok:
		return nil, fmt.Errorf("loading key %s: %w: key references with scheme %q are not supported", ref, ErrUnsupportedKey, scheme+"://")
	}
	b, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("loading key: %w", err)
	}
	return b, nil
}

// LoadPublicKey returns the public key a reference names: a PEM public key
// (PKIX) in a file or in env://VAR.
func LoadPublicKey(ctx context.Context, ref string) (crypto.PublicKey, error) {
	data, err := readKeyRef(ref)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("loading public key %s: %w", ref, err)
	}
	return pub, nil
}

// ParsePublicKey parses the first PEM block of data as a PKIX public key.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrUnsupportedKey)
	}
	switch block.Type {
	case "PUBLIC KEY":
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: parsing RSA PUBLIC KEY: %v", ErrUnsupportedKey, err)
		}
		return pub, nil
	case SigstorePrivateKeyPEMType, CosignPrivateKeyPEMType, "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		return nil, fmt.Errorf("%w: found a private key where a public key is expected (use the .pub file)", ErrUnsupportedKey)
	default:
		return nil, fmt.Errorf("%w: PEM block of type %q, want PUBLIC KEY", ErrUnsupportedKey, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing PUBLIC KEY: %v", ErrUnsupportedKey, err)
	}
	return pub, nil
}
