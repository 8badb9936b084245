package evidence_test

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
)

func ExampleSimpleSigningPayload() {
	d, err := name.NewDigest("ghcr.io/acme/app@sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		panic(err)
	}
	b, err := evidence.SimpleSigningPayload(d, map[string]string{"env": "prod"})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":{"docker-manifest-digest":"sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"},"type":"cosign container image signature"},"optional":{"env":"prod"}}
}

func ExampleParseSimpleSigning() {
	payload := []byte(`{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},` +
		`"image":{"docker-manifest-digest":"sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"},` +
		`"type":"cosign container image signature"},"optional":{"env":"prod"}}`)
	ss, err := evidence.ParseSimpleSigning(payload)
	if err != nil {
		panic(err)
	}
	fmt.Println(ss.Digest)
	fmt.Println(ss.DockerReference)
	fmt.Println(ss.Annotations["env"])
	// Output:
	// sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd
	// ghcr.io/acme/app
	// prod
}

func ExampleSignStatement() {
	d, err := v1.NewHash("sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		panic(err)
	}
	b, err := evidence.SignStatement(d, map[string]string{"env": "prod"})
	if err != nil {
		panic(err)
	}
	// The statement's bytes are protojson's, whose spacing varies: decode it
	// to look at it.
	st, err := evidence.ParseStatement(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.GetPredicateType())
	fmt.Println(evidence.StatementNames(st, d))
	fmt.Println(evidence.SubjectAnnotations(st, d))
	// Output:
	// https://sigstore.dev/cosign/sign/v1
	// true
	// map[env:prod]
}

func ExampleSignatureTag() {
	d, err := v1.NewHash("sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd")
	if err != nil {
		panic(err)
	}
	fmt.Println(evidence.SignatureTag(d))
	fmt.Println(evidence.AttestationTag(d))
	fmt.Println(evidence.ReferrersTag(d))
	// Output:
	// sha256-ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd.sig
	// sha256-ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd.att
	// sha256-ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd
}

func ExampleParseFormat() {
	f, err := evidence.ParseFormat("Bundle")
	fmt.Println(f, err)
	_, err = evidence.ParseFormat("oci")
	fmt.Println(err)
	// Output:
	// bundle <nil>
	// unknown signature format "oci" (want "legacy" or "bundle")
}
