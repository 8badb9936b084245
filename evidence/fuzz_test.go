package evidence_test

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
)

// FuzzParseSimpleSigning checks that untrusted payloads never panic, that
// every error wraps ErrMalformed, and that what is accepted has a valid digest
// and survives a re-encoding.
func FuzzParseSimpleSigning(f *testing.F) {
	const digest = "sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	for _, ann := range []map[string]string{nil, {"env": "prod", "k": ""}} {
		d, err := name.NewDigest("ghcr.io/acme/app@" + digest)
		if err != nil {
			f.Fatal(err)
		}
		b, err := evidence.SimpleSigningPayload(d, ann)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(ssPayload("cosign container image signature", digest, "r", `{"n":1,"b":true,"o":{"a":[null]}}`)))
	f.Add([]byte(ssPayload("cosign container image signature", "sha512:"+hexA+hexB, "r", "null")))
	f.Add([]byte(ssPayload("atomic container signature", digest, "r", "null")))
	f.Add([]byte(ssPayload("cosign container image signature", digest, "r", "null") + "}"))
	f.Add([]byte("{}"))
	f.Add([]byte("null"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := evidence.ParseSimpleSigning(b)
		if err != nil {
			if !errors.Is(err, evidence.ErrMalformed) {
				t.Fatalf("ParseSimpleSigning(%q) error = %v, want it to wrap %v", b, err, evidence.ErrMalformed)
			}
			if ss != nil {
				t.Fatalf("ParseSimpleSigning(%q) = %+v with error %v", b, ss, err)
			}
			return
		}
		h, err := v1.NewHash(ss.Digest.String())
		if err != nil || h != ss.Digest {
			t.Fatalf("ParseSimpleSigning(%q).Digest = %q, not a valid digest: %v", b, ss.Digest, err)
		}
		// What tollgate accepts, it can write again and read back the same.
		d, err := name.NewDigest("example.com/fuzz@" + ss.Digest.String())
		if err != nil {
			return // sha512 digests are valid in payloads, not in references
		}
		out, err := evidence.SimpleSigningPayload(d, ss.Annotations)
		if err != nil {
			t.Fatalf("SimpleSigningPayload(%q, %v) error = %v", d, ss.Annotations, err)
		}
		again, err := evidence.ParseSimpleSigning(out)
		if err != nil {
			t.Fatalf("ParseSimpleSigning(%q) error = %v after a round trip", out, err)
		}
		if again.Digest != ss.Digest || len(again.Annotations) != len(ss.Annotations) {
			t.Fatalf("round trip of %q gave %+v, want digest %v and %d annotations", b, again, ss.Digest, len(ss.Annotations))
		}
		for k, v := range ss.Annotations {
			if again.Annotations[k] != v {
				t.Fatalf("round trip of %q: annotation %q = %q, want %q", b, k, again.Annotations[k], v)
			}
		}
	})
}

// FuzzParseStatement checks that untrusted statements never panic, that every
// error wraps ErrMalformed, and that an accepted statement has the fields
// ParseStatement promises.
func FuzzParseStatement(f *testing.F) {
	d, err := v1.NewHash("sha256:" + hexA)
	if err != nil {
		f.Fatal(err)
	}
	for _, ann := range []map[string]string{nil, {"env": "prod"}} {
		b, err := evidence.SignStatement(d, ann)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"` + hexA + `"}}],"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"builder":{"id":"x"}}}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexA + `"}},{"digest":{"sha512":"` + hexA + hexB + `"}}],"predicateType":"p","predicate":{"a":[1,2.5,"x",null,true]}}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := evidence.ParseStatement(b)
		if err != nil {
			if !errors.Is(err, evidence.ErrMalformed) {
				t.Fatalf("ParseStatement(%q) error = %v, want it to wrap %v", b, err, evidence.ErrMalformed)
			}
			return
		}
		if st.GetPredicateType() == "" || len(st.GetSubject()) == 0 {
			t.Fatalf("ParseStatement(%q) = %v, accepted without predicate type or subject", b, st)
		}
		// The helpers must hold on anything ParseStatement accepts.
		got := evidence.StatementNames(st, d)
		if ann := evidence.SubjectAnnotations(st, d); ann != nil && !got {
			t.Fatalf("SubjectAnnotations(%q) = %v for a digest StatementNames says is absent", b, ann)
		}
		if evidence.StatementNames(st, v1.Hash{}) {
			t.Fatalf("StatementNames(%q, zero hash) = true, want false", b)
		}
	})
}
