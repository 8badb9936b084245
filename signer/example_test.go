package signer_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/tollgate-dev/tollgate/signer"
)

// Load a key cosign generated (cosign generate-key-pair), with its password
// from the environment as cosign reads COSIGN_PASSWORD.
func ExampleLoad() {
	os.Setenv("EXAMPLE_COSIGN_PASSWORD", "tollgate-test-password")
	pass := func(bool) ([]byte, error) {
		return []byte(os.Getenv("EXAMPLE_COSIGN_PASSWORD")), nil
	}
	s, err := signer.Load(context.Background(), "testdata/cosign-v2.key", signer.WithPassFunc(pass))
	if err != nil {
		panic(err)
	}
	hint, err := signer.PublicKeyHint(s.Public())
	if err != nil {
		panic(err)
	}
	fmt.Println(hint)

	_, err = signer.Load(context.Background(), "testdata/cosign-v2.key")
	fmt.Println(errors.Is(err, signer.ErrNoPassword))
	// Output:
	// +F48fZUpAic1C86hfeNnIGi5ZWGY0Bod+BmdaKzirHo=
	// true
}

func ExampleGenerateKeyPair() {
	kp, err := signer.GenerateKeyPair([]byte("correct horse battery staple"))
	if err != nil {
		panic(err)
	}
	priv, _ := pem.Decode(kp.Private)
	pub, _ := pem.Decode(kp.Public)
	fmt.Println(priv.Type)
	fmt.Println(pub.Type)
	// Output:
	// ENCRYPTED SIGSTORE PRIVATE KEY
	// PUBLIC KEY
}

func ExamplePublicKeyHint() {
	pub, err := signer.LoadPublicKey(context.Background(), "testdata/cosign-v3.pub")
	if err != nil {
		panic(err)
	}
	hint, err := signer.PublicKeyHint(pub)
	if err != nil {
		panic(err)
	}
	fmt.Println(hint)
	// Output:
	// QbT05NTu6ZrdfOhnoUCHHoJ0M4lpxBKVDUUdCENKMtg=
}

func ExampleParsePrivateKey_refusals() {
	_, err := signer.ParsePrivateKey([]byte("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"), nil)
	fmt.Println(errors.Is(err, signer.ErrUnsupportedKey), err)
	_, err = signer.ParsePrivateKey([]byte("not a key"), nil)
	fmt.Println(errors.Is(err, signer.ErrUnsupportedKey), err)
	// Output:
	// true unsupported key: found a public key, signing needs the private key
	// true unsupported key: no PEM block found
}
