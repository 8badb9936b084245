package evidence_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tollgate-dev/tollgate/evidence"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	hexA = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	hexB = "cd0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
)

func mustDigest(t testing.TB, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatalf("name.NewDigest(%q) = %v", s, err)
	}
	return d
}

func mustHash(t testing.TB, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatalf("v1.NewHash(%q) = %v", s, err)
	}
	return h
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}

func TestSimpleSigningPayloadGolden(t *testing.T) {
	tests := []struct {
		name        string
		ref         string
		annotations map[string]string
		golden      string
	}{
		{
			name:   "no annotations",
			ref:    "ghcr.io/acme/app@sha256:" + hexA,
			golden: "simplesigning-plain.json",
		},
		{
			name:        "annotations",
			ref:         "ghcr.io/acme/app@sha256:" + hexA,
			annotations: map[string]string{"env": "prod", "commit": "0123abc", "empty": ""},
			golden:      "simplesigning-annotations.json",
		},
		{
			name:   "docker hub short name",
			ref:    "acme/app@sha256:" + hexA,
			golden: "simplesigning-dockerhub.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evidence.SimpleSigningPayload(mustDigest(t, tt.ref), tt.annotations)
			if err != nil {
				t.Fatalf("SimpleSigningPayload(%q) error = %v", tt.ref, err)
			}
			golden(t, tt.golden, got)
		})
	}
}

// TestSimpleSigningPayloadMatchesCosign checks the bytes against what
// sigstore's payload package (which cosign signs with) produces.
func TestSimpleSigningPayloadMatchesCosign(t *testing.T) {
	d := mustDigest(t, "registry.example:5000/team/app@sha256:"+hexB)
	tests := []struct {
		name        string
		annotations map[string]string
		cosign      map[string]any
	}{
		{name: "nil"},
		{name: "empty map", annotations: map[string]string{}},
		{name: "values", annotations: map[string]string{"a": "1", "z": "x y"}, cosign: map[string]any{"a": "1", "z": "x y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evidence.SimpleSigningPayload(d, tt.annotations)
			if err != nil {
				t.Fatalf("SimpleSigningPayload(%q) error = %v", d, err)
			}
			want, err := payload.Cosign{Image: d, Annotations: tt.cosign}.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("SimpleSigningPayload(%q) = %s, want %s", d, got, want)
			}
		})
	}
}

func TestSimpleSigningRoundTrip(t *testing.T) {
	d := mustDigest(t, "ghcr.io/acme/app@sha256:"+hexA)
	ann := map[string]string{"env": "prod", "unicode": "héllo ☃", "quote": `"x"`}
	b, err := evidence.SimpleSigningPayload(d, ann)
	if err != nil {
		t.Fatal(err)
	}
	got, err := evidence.ParseSimpleSigning(b)
	if err != nil {
		t.Fatalf("ParseSimpleSigning(%q) error = %v", b, err)
	}
	want := &evidence.SimpleSigning{
		Digest:          mustHash(t, "sha256:"+hexA),
		DockerReference: "ghcr.io/acme/app",
		Annotations:     ann,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseSimpleSigning(SimpleSigningPayload(...)) mismatch (-want +got):\n%s", diff)
	}
}

func ssPayload(typ, digest, ref, optional string) string {
	return `{"critical":{"identity":{"docker-reference":"` + ref + `"},"image":{"docker-manifest-digest":"` + digest +
		`"},"type":"` + typ + `"},"optional":` + optional + `}`
}

func TestParseSimpleSigning(t *testing.T) {
	const typ = payload.CosignSignatureType
	valid := ssPayload(typ, "sha256:"+hexA, "ghcr.io/acme/app", "null")
	tests := []struct {
		name    string
		in      string
		want    *evidence.SimpleSigning
		wantErr error
	}{
		{
			name: "minimal",
			in:   valid,
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha256:"+hexA), DockerReference: "ghcr.io/acme/app"},
		},
		{
			name: "surrounding whitespace",
			in:   "\n\t " + valid + " \r\n",
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha256:"+hexA), DockerReference: "ghcr.io/acme/app"},
		},
		{
			name: "no docker-reference",
			in:   `{"critical":{"image":{"docker-manifest-digest":"sha256:` + hexA + `"},"type":"` + typ + `"}}`,
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha256:"+hexA)},
		},
		{
			name: "empty optional",
			in:   ssPayload(typ, "sha256:"+hexA, "r", "{}"),
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha256:"+hexA), DockerReference: "r"},
		},
		{
			name: "non-string annotations are rendered as JSON",
			in:   ssPayload(typ, "sha256:"+hexA, "r", `{"s":"v","n":12345678901234567890,"f":1.5,"b":true,"z":null,"o":{"k":[1,"x"]}}`),
			want: &evidence.SimpleSigning{
				Digest:          mustHash(t, "sha256:"+hexA),
				DockerReference: "r",
				Annotations: map[string]string{
					"s": "v",
					"n": "12345678901234567890", // exact: numbers are not rounded through float64
					"f": "1.5",
					"b": "true",
					"z": "",
					"o": `{"k":[1,"x"]}`,
				},
			},
		},
		{
			name: "unknown fields are ignored",
			in:   `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:` + hexA + `"},"type":"` + typ + `","extra":1},"other":[]}`,
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha256:"+hexA), DockerReference: "r"},
		},
		{
			name: "sha512 digest",
			in:   ssPayload(typ, "sha512:"+hexA+hexB, "r", "null"),
			want: &evidence.SimpleSigning{Digest: mustHash(t, "sha512:"+hexA+hexB), DockerReference: "r"},
		},
		{name: "empty", in: "", wantErr: evidence.ErrMalformed},
		{name: "whitespace", in: "  \n", wantErr: evidence.ErrMalformed},
		{name: "null", in: "null", wantErr: evidence.ErrMalformed},
		{name: "array", in: "[]", wantErr: evidence.ErrMalformed},
		{name: "string", in: `"x"`, wantErr: evidence.ErrMalformed},
		{name: "empty object", in: "{}", wantErr: evidence.ErrMalformed},
		{name: "truncated", in: valid[:len(valid)-1], wantErr: evidence.ErrMalformed},
		{name: "not JSON", in: "not json", wantErr: evidence.ErrMalformed},
		{name: "wrong type", in: ssPayload("atomic container signature", "sha256:"+hexA, "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "type differs in case", in: ssPayload(strings.ToUpper(typ), "sha256:"+hexA, "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "no digest", in: ssPayload(typ, "", "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "digest without algorithm", in: ssPayload(typ, hexA, "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "short digest", in: ssPayload(typ, "sha256:"+hexA[:63], "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "long digest", in: ssPayload(typ, "sha256:"+hexA+"0", "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "upper-case digest", in: ssPayload(typ, "sha256:"+strings.ToUpper(hexA), "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "unknown digest algorithm", in: ssPayload(typ, "md5:"+hexA[:32], "r", "null"), wantErr: evidence.ErrMalformed},
		{name: "digest not a string", in: `{"critical":{"image":{"docker-manifest-digest":1},"type":"` + typ + `"}}`, wantErr: evidence.ErrMalformed},
		{name: "optional not an object", in: ssPayload(typ, "sha256:"+hexA, "r", `"x"`), wantErr: evidence.ErrMalformed},
		{name: "trailing object", in: valid + valid, wantErr: evidence.ErrMalformed},
		{name: "trailing garbage", in: valid + " x", wantErr: evidence.ErrMalformed},
		{name: "trailing closing brace", in: valid + "}", wantErr: evidence.ErrMalformed},
		{name: "trailing closing bracket", in: valid + "]", wantErr: evidence.ErrMalformed},
		{name: "trailing NUL", in: valid + "\x00", wantErr: evidence.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evidence.ParseSimpleSigning([]byte(tt.in))
			in := tt.in
			if len(in) > 200 {
				in = in[:200] + "..."
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseSimpleSigning(%q) error = %v, want %v", in, err, tt.wantErr)
			}
			if err != nil && got != nil {
				t.Errorf("ParseSimpleSigning(%q) = %+v with error, want nil", in, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSimpleSigning(%q) mismatch (-want +got):\n%s", in, diff)
			}
		})
	}
}

// TestParseSimpleSigningAgreesWithCosign checks that every payload tollgate
// accepts is one cosign's own decoder accepts with the same digest.
func TestParseSimpleSigningAgreesWithCosign(t *testing.T) {
	for _, in := range []string{
		ssPayload(payload.CosignSignatureType, "sha256:"+hexA, "ghcr.io/acme/app", "null"),
		ssPayload(payload.CosignSignatureType, "sha256:"+hexA, "ghcr.io/acme/app", `{"a":"b"}`),
		ssPayload(payload.CosignSignatureType, "sha256:"+hexA, "ghcr.io/acme/app", "null") + "}",
		ssPayload(payload.CosignSignatureType, "sha256:"+hexA, "ghcr.io/acme/app", "null") + "\n",
	} {
		got, err := evidence.ParseSimpleSigning([]byte(in))
		var c payload.Cosign
		cerr := json.Unmarshal([]byte(in), &c)
		if (err == nil) != (cerr == nil) {
			t.Errorf("ParseSimpleSigning(%q) error = %v, cosign's decoder error = %v; want both nil or both non-nil", in, err, cerr)
			continue
		}
		if err == nil && got.Digest.String() != c.Image.DigestStr() {
			t.Errorf("ParseSimpleSigning(%q).Digest = %v, want %v", in, got.Digest, c.Image.DigestStr())
		}
	}
}

func TestSignStatement(t *testing.T) {
	d := mustHash(t, "sha256:"+hexA)
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{
			name: "no annotations",
			want: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexA + `"}}],` +
				`"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`,
		},
		{
			name:        "annotations",
			annotations: map[string]string{"env": "prod", "n": "1"},
			want: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexA + `"},"annotations":{"env":"prod","n":"1"}}],` +
				`"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evidence.SignStatement(d, tt.annotations)
			if err != nil {
				t.Fatalf("SignStatement(%v) error = %v", d, err)
			}
			// protojson output is deliberately unstable in its whitespace:
			// compare the JSON values.
			if diff := cmp.Diff(jsonValue(t, tt.want), jsonValue(t, string(got))); diff != "" {
				t.Errorf("SignStatement(%v) mismatch (-want +got):\n%s", d, diff)
			}
			st, err := evidence.ParseStatement(got)
			if err != nil {
				t.Fatalf("ParseStatement(SignStatement(%v)) error = %v", d, err)
			}
			if st.GetPredicateType() != evidence.CosignSignPredicateType {
				t.Errorf("ParseStatement(SignStatement(%v)).PredicateType = %q, want %q", d, st.GetPredicateType(), evidence.CosignSignPredicateType)
			}
			if !evidence.StatementNames(st, d) {
				t.Errorf("StatementNames(SignStatement(%v), %v) = false, want true", d, d)
			}
			if diff := cmp.Diff(tt.annotations, evidence.SubjectAnnotations(st, d)); diff != "" {
				t.Errorf("SubjectAnnotations(SignStatement(%v)) mismatch (-want +got):\n%s", d, diff)
			}
		})
	}
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("json.Unmarshal(%q) = %v", s, err)
	}
	return v
}

func TestStatement(t *testing.T) {
	pred, err := structpb.NewStruct(map[string]any{"buildType": "x", "n": 2})
	if err != nil {
		t.Fatal(err)
	}
	const slsa = "https://slsa.dev/provenance/v1"
	tests := []struct {
		name          string
		d             v1.Hash
		predicateType string
		predicate     *structpb.Struct
		want          string
		wantErr       error
	}{
		{
			name: "predicate", d: mustHash(t, "sha256:"+hexB), predicateType: slsa, predicate: pred,
			want: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexB + `"}}],` +
				`"predicateType":"` + slsa + `","predicate":{"buildType":"x","n":2}}`,
		},
		{name: "no predicate type", d: mustHash(t, "sha256:"+hexB), predicate: pred, wantErr: intotov1.ErrPredicateTypeRequired},
		{name: "no predicate", d: mustHash(t, "sha256:"+hexB), predicateType: slsa, wantErr: intotov1.ErrPredicateRequired},
		{name: "bad digest length", d: v1.Hash{Algorithm: "sha256", Hex: "abcd"}, predicateType: slsa, predicate: pred, wantErr: intotov1.ErrIncorrectDigestLength},
		{name: "bad digest encoding", d: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("zz", 32)}, predicateType: slsa, predicate: pred, wantErr: intotov1.ErrInvalidDigestEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evidence.Statement(tt.d, tt.predicateType, nil, tt.predicate)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Statement(%v, %q) error = %v, want %v", tt.d, tt.predicateType, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(jsonValue(t, tt.want), jsonValue(t, string(got))); diff != "" {
				t.Errorf("Statement(%v, %q) mismatch (-want +got):\n%s", tt.d, tt.predicateType, diff)
			}
		})
	}
}

func TestParseStatement(t *testing.T) {
	subj := `"subject":[{"name":"app","digest":{"sha256":"` + hexA + `"}}]`
	tests := []struct {
		name          string
		in            string
		wantPredType  string
		wantSubjects  int
		wantPredicate map[string]any
		wantErr       error
	}{
		{
			name:          "v1",
			in:            `{"_type":"https://in-toto.io/Statement/v1",` + subj + `,"predicateType":"p","predicate":{"k":"v"}}`,
			wantPredType:  "p",
			wantSubjects:  1,
			wantPredicate: map[string]any{"k": "v"},
		},
		{
			name:         "v0.1",
			in:           `{"_type":"https://in-toto.io/Statement/v0.1",` + subj + `,"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{}}`,
			wantPredType: "https://slsa.dev/provenance/v0.2",
			wantSubjects: 1,
		},
		{
			name:         "no predicate",
			in:           `{"_type":"https://in-toto.io/Statement/v1",` + subj + `,"predicateType":"p"}`,
			wantPredType: "p",
			wantSubjects: 1,
		},
		{
			name:         "unknown fields are discarded",
			in:           `{"_type":"https://in-toto.io/Statement/v1",` + subj + `,"predicateType":"p","predicate":{},"extra":{"a":[1]}}`,
			wantPredType: "p",
			wantSubjects: 1,
		},
		{
			name:         "two subjects",
			in:           `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + hexA + `"}},{"digest":{"sha256":"` + hexB + `"}}],"predicateType":"p"}`,
			wantPredType: "p",
			wantSubjects: 2,
		},
		{name: "empty", in: "", wantErr: evidence.ErrMalformed},
		{name: "not JSON", in: "{", wantErr: evidence.ErrMalformed},
		{name: "empty object", in: "{}", wantErr: evidence.ErrMalformed},
		{name: "array", in: "[]", wantErr: evidence.ErrMalformed},
		{name: "trailing data", in: `{"_type":"https://in-toto.io/Statement/v1",` + subj + `,"predicateType":"p"}{}`, wantErr: evidence.ErrMalformed},
		{name: "unknown type", in: `{"_type":"https://in-toto.io/Statement/v2",` + subj + `,"predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "no type", in: `{` + subj + `,"predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "no predicate type", in: `{"_type":"https://in-toto.io/Statement/v1",` + subj + `}`, wantErr: evidence.ErrMalformed},
		{name: "no subject", in: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "empty subject", in: `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "subject not a list", in: `{"_type":"https://in-toto.io/Statement/v1","subject":{},"predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "digest value not a string", in: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":1}}],"predicateType":"p"}`, wantErr: evidence.ErrMalformed},
		{name: "predicate not an object", in: `{"_type":"https://in-toto.io/Statement/v1",` + subj + `,"predicateType":"p","predicate":"x"}`, wantErr: evidence.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if len(in) > 200 {
				in = in[:200] + "..."
			}
			st, err := evidence.ParseStatement([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseStatement(%q) error = %v, want %v", in, err, tt.wantErr)
			}
			if err != nil {
				if st != nil {
					t.Errorf("ParseStatement(%q) = %v with error, want nil", in, st)
				}
				return
			}
			if got := st.GetPredicateType(); got != tt.wantPredType {
				t.Errorf("ParseStatement(%q).PredicateType = %q, want %q", in, got, tt.wantPredType)
			}
			if got := len(st.GetSubject()); got != tt.wantSubjects {
				t.Errorf("ParseStatement(%q) has %d subjects, want %d", in, got, tt.wantSubjects)
			}
			if tt.wantPredicate != nil {
				if diff := cmp.Diff(tt.wantPredicate, st.GetPredicate().AsMap()); diff != "" {
					t.Errorf("ParseStatement(%q).Predicate mismatch (-want +got):\n%s", in, diff)
				}
			}
		})
	}
}

func statementFor(t *testing.T, subjects string) *intotov1.Statement {
	t.Helper()
	st, err := evidence.ParseStatement([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":` + subjects + `,"predicateType":"p"}`))
	if err != nil {
		t.Fatalf("ParseStatement(%s) = %v", subjects, err)
	}
	return st
}

func TestStatementNamesAndSubjectAnnotations(t *testing.T) {
	a := mustHash(t, "sha256:"+hexA)
	b := mustHash(t, "sha256:"+hexB)
	tests := []struct {
		name     string
		subjects string
		d        v1.Hash
		want     bool
		wantAnn  map[string]string
	}{
		{name: "single match", subjects: `[{"digest":{"sha256":"` + hexA + `"}}]`, d: a, want: true},
		{name: "single other", subjects: `[{"digest":{"sha256":"` + hexB + `"}}]`, d: a, want: false},
		{
			name:     "second subject matches",
			subjects: `[{"digest":{"sha256":"` + hexB + `"},"annotations":{"which":"b"}},{"digest":{"sha256":"` + hexA + `"},"annotations":{"which":"a","n":3}}]`,
			d:        a, want: true, wantAnn: map[string]string{"which": "a", "n": "3"},
		},
		{
			name:     "first subject matches",
			subjects: `[{"digest":{"sha256":"` + hexB + `"},"annotations":{"which":"b"}},{"digest":{"sha256":"` + hexA + `"},"annotations":{"which":"a"}}]`,
			d:        b, want: true, wantAnn: map[string]string{"which": "b"},
		},
		{name: "upper-case hex in statement", subjects: `[{"digest":{"sha256":"` + strings.ToUpper(hexA) + `"},"annotations":{"k":"v"}}]`, d: a, want: true, wantAnn: map[string]string{"k": "v"}},
		{name: "other algorithm with the same hex", subjects: `[{"digest":{"sha512":"` + hexA + `"}}]`, d: a, want: false},
		{name: "prefix of the digest", subjects: `[{"digest":{"sha256":"` + hexA[:32] + `"}}]`, d: a, want: false},
		{name: "name only", subjects: `[{"name":"app"}]`, d: a, want: false},
		{name: "empty annotations", subjects: `[{"digest":{"sha256":"` + hexA + `"},"annotations":{}}]`, d: a, want: true},
		{name: "zero hash never matches", subjects: `[{"name":"app"}]`, d: v1.Hash{}, want: false},
		{name: "empty hex never matches", subjects: `[{"digest":{"sha256":""}}]`, d: v1.Hash{Algorithm: "sha256"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := statementFor(t, tt.subjects)
			if got := evidence.StatementNames(st, tt.d); got != tt.want {
				t.Errorf("StatementNames(%s, %q) = %v, want %v", tt.subjects, tt.d, got, tt.want)
			}
			if diff := cmp.Diff(tt.wantAnn, evidence.SubjectAnnotations(st, tt.d)); diff != "" {
				t.Errorf("SubjectAnnotations(%s, %q) mismatch (-want +got):\n%s", tt.subjects, tt.d, diff)
			}
		})
	}
	t.Run("nil statement", func(t *testing.T) {
		if evidence.StatementNames(nil, a) {
			t.Errorf("StatementNames(nil, %q) = true, want false", a)
		}
		if got := evidence.SubjectAnnotations(nil, a); got != nil {
			t.Errorf("SubjectAnnotations(nil, %q) = %v, want nil", a, got)
		}
	})
}

// TestMaxPayloadSize checks the size limit of both parsers at its boundary:
// a valid document padded with whitespace to MaxPayloadSize bytes is read,
// one byte more is refused.
func TestMaxPayloadSize(t *testing.T) {
	d := mustHash(t, "sha256:"+hexA)
	st, err := evidence.SignStatement(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsers := []struct {
		name  string
		doc   []byte
		parse func([]byte) error
	}{
		{"ParseSimpleSigning", []byte(ssPayload(payload.CosignSignatureType, "sha256:"+hexA, "r", "null")), func(b []byte) error {
			_, err := evidence.ParseSimpleSigning(b)
			return err
		}},
		{"ParseStatement", st, func(b []byte) error {
			_, err := evidence.ParseStatement(b)
			return err
		}},
	}
	buf := make([]byte, evidence.MaxPayloadSize+1)
	for _, p := range parsers {
		for i := copy(buf, p.doc); i < len(buf); i++ {
			buf[i] = ' '
		}
		if err := p.parse(buf[:evidence.MaxPayloadSize]); err != nil {
			t.Errorf("%s(%d bytes) error = %v, want nil", p.name, evidence.MaxPayloadSize, err)
		}
		if err := p.parse(buf); !errors.Is(err, evidence.ErrMalformed) {
			t.Errorf("%s(%d bytes) error = %v, want %v", p.name, len(buf), err, evidence.ErrMalformed)
		}
	}
}
