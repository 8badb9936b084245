package signer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// KeyPair is a generated key pair, PEM-encoded.
type KeyPair struct {
	// Private is the private key in cosign's encrypted format.
	Private []byte
	// Public is the PKIX public key.
	Public []byte
}

// GenerateKeyPair returns a new ECDSA P-256 key pair whose private key is
// encrypted with password in cosign's format (scrypt and NaCl secretbox, PEM
// type ENCRYPTED SIGSTORE PRIVATE KEY). cosign reads it with the same
// password; an empty password is allowed, as in cosign.
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		return nil, fmt.Errorf("encoding key: %w", err)
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypting key: %w", err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(pk.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return &KeyPair{
		Private: pem.EncodeToMemory(&pem.Block{Type: SigstorePrivateKeyPEMType, Bytes: enc}),
		Public:  pub,
	}, nil
}
