package signer

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// DSSEBundle signs payload as a DSSE envelope of type payloadType and returns
// the Sigstore bundle v0.3 (JSON) that holds it, with the signer's public key
// hint as verification material, as cosign v3 writes for key signing.
func DSSEBundle(ctx context.Context, s Signer, payloadType string, payload []byte) ([]byte, error) {
	kp, err := newKeypair(s)
	if err != nil {
		return nil, err
	}
	opts := sign.BundleOptions{Context: ctx}
	if cs, ok := s.(CertificateSigner); ok {
		// A bundle v0.3 carries the signing certificate only; verifiers find
		// the chain in their trust material.
		opts.CertificateProvider = staticCertificate(cs.CertificateChain()[0].Raw)
	}
	b, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: payloadType}, kp, opts)
	if err != nil {
		return nil, fmt.Errorf("building bundle: %w", err)
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	return out, nil
}

// PublicKeyHint returns the hint cosign puts in bundles signed with a key:
// the base64 SHA-256 of the PKIX public key.
func PublicKeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// staticCertificate hands sigstore-go a certificate the signer already has.
type staticCertificate []byte

func (c staticCertificate) GetCertificate(context.Context, sign.Keypair, *sign.CertificateProviderOptions) ([]byte, error) {
	return c, nil
}

// keypair adapts a Signer to sigstore-go's sign.Keypair.
type keypair struct {
	s    Signer
	alg  signature.AlgorithmDetails
	hint string
}

func newKeypair(s Signer) (*keypair, error) {
	alg, err := AlgorithmDetails(s.Public())
	if err != nil {
		return nil, err
	}
	hint, err := PublicKeyHint(s.Public())
	if err != nil {
		return nil, err
	}
	return &keypair{s: s, alg: alg, hint: hint}, nil
}

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm { return k.alg.GetProtoHashType() }

func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return k.alg.GetSignatureAlgorithm()
}

func (k *keypair) GetHint() []byte { return []byte(k.hint) }

func (k *keypair) GetKeyAlgorithm() string {
	switch k.alg.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.RSA:
		return "RSA"
	case signature.ED25519:
		return "ED25519"
	}
	return ""
}

func (k *keypair) GetPublicKey() crypto.PublicKey { return k.s.Public() }

func (k *keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.s.Public())
	return string(b), err
}

func (k *keypair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	var digest []byte
	if h := k.alg.GetHashType(); h != 0 {
		hh := h.New()
		hh.Write(data)
		digest = hh.Sum(nil)
	}
	sig, err := k.s.Sign(ctx, data)
	if err != nil {
		return nil, nil, err
	}
	return sig, digest, nil
}
