package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

func ExampleVerifier_Verify() {
	ctx := context.Background()
	// A key pair; in practice Load and LoadPublicKey read them from files.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	s, _ := signer.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)

	// What a registry would hold: a legacy signature and a bundle.
	d, _ := name.NewDigest("ghcr.io/acme/app@sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	payload, _ := evidence.SimpleSigningPayload(d, map[string]string{"env": "prod"})
	sig, _ := s.Sign(ctx, payload)
	subject := mustHashExample(d.DigestStr())
	statement, _ := evidence.SignStatement(subject, map[string]string{"env": "prod"})
	b, _ := signer.DSSEBundle(ctx, s, evidence.InTotoPayloadType, statement)
	sigs := []evidence.Signature{
		{Format: evidence.FormatLegacy, Source: "legacy", Payload: payload, Base64Signature: base64.StdEncoding.EncodeToString(sig)},
		{Format: evidence.FormatBundle, Source: "bundle", Bundle: b},
	}

	v, err := verifier.New(verifier.WithPublicKeys(verifier.TrustedKey{Name: "cosign.pub", Key: s.Public()}))
	if err != nil {
		panic(err)
	}
	res, err := v.Verify(subject, sigs, verifier.Policy{Annotations: map[string]string{"env": "prod"}})
	fmt.Println(err)
	for _, r := range res.Verified() {
		fmt.Println(r.Format, r.Key, r.Annotations["env"])
	}

	// The same signatures do not satisfy a policy that wants env=dev.
	_, err = v.Verify(subject, sigs, verifier.Policy{Annotations: map[string]string{"env": "dev"}})
	var ae *verifier.AnnotationError
	fmt.Println(errors.Is(err, verifier.ErrDenied), errors.As(err, &ae) && ae.Got == "prod")

	// Nor do they sign another image.
	other := mustHashExample("sha256:cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	_, err = v.Verify(other, sigs, verifier.Policy{})
	fmt.Println(errors.Is(err, verifier.ErrDigestMismatch))
	// Output:
	// <nil>
	// legacy cosign.pub prod
	// bundle cosign.pub prod
	// true true
	// true
}

func ExampleNew() {
	_, err := verifier.New()
	fmt.Println(err != nil)
	// Output:
	// true
}
