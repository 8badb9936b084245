package signer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Signer signs messages. Sign hashes msg itself with the hash that goes with
// the key (SHA-256 for P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521;
// Ed25519 keys sign in Ed25519ph mode, as cosign does).
type Signer interface {
	Public() crypto.PublicKey
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// Sentinel errors, wrapped with context by the functions of this package.
var (
	// ErrUnsupportedKey is returned for key files and key types tollgate cannot sign with.
	ErrUnsupportedKey = errors.New("unsupported key")
	// ErrWrongPassword is returned when an encrypted key does not decrypt.
	ErrWrongPassword = errors.New("wrong password for encrypted key")
	// ErrNoPassword is returned when an encrypted key needs a password and
	// none can be had.
	ErrNoPassword = errors.New("no password for encrypted key")
)

// loadOptions are the sigstore load options every key signs with: Ed25519
// keys use Ed25519ph, the only mode cosign signs image signatures with.
func loadOptions() []signature.LoadOption {
	return []signature.LoadOption{options.WithED25519ph()}
}

// keySigner signs with an in-memory private key.
type keySigner struct {
	sv signature.SignerVerifier
}

func newKeySigner(pk crypto.PrivateKey) (*keySigner, error) {
	if err := checkKeyType(pk); err != nil {
		return nil, err
	}
	sv, err := signature.LoadDefaultSignerVerifier(pk, loadOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return &keySigner{sv: sv}, nil
}

func (k *keySigner) Public() crypto.PublicKey {
	pub, _ := k.sv.PublicKey()
	return pub
}

func (k *keySigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	sig, err := k.sv.SignMessage(bytes.NewReader(msg), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}

// checkKeyType accepts the key types cosign signs with: ECDSA on P-256,
// P-384 and P-521, RSA of at least 2048 bits, and Ed25519.
func checkKeyType(pk crypto.PrivateKey) error {
	switch k := pk.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits (minimum 2048)", ErrUnsupportedKey, k.N.BitLen())
		}
		return nil
	case ed25519.PrivateKey:
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrUnsupportedKey, pk)
}

// AlgorithmDetails returns the signature algorithm a signer with public key
// pub uses.
func AlgorithmDetails(pub crypto.PublicKey) (signature.AlgorithmDetails, error) {
	d, err := signature.GetDefaultAlgorithmDetails(pub, loadOptions()...)
	if err != nil {
		return signature.AlgorithmDetails{}, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return d, nil
}
