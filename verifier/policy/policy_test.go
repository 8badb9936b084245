package policy_test

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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier/policy"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

type person struct {
	name string
	s    signer.Signer
	pub  string // PEM
}

func newPerson(t *testing.T, n string) person {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	s, err := signer.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(k.Public())
	return person{name: n, s: s, pub: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}
}

// sign makes a legacy signature by p for digest d.
func (p person) sign(t *testing.T, d string, ann map[string]string) evidence.Signature {
	t.Helper()
	ref, err := name.NewDigest("registry.example.com/project-safety/app@" + d)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := evidence.SimpleSigningPayload(ref, ann)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := p.s.Sign(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Signature{Format: evidence.FormatLegacy, Source: p.name, Payload: payload, Base64Signature: base64.StdEncoding.EncodeToString(sig)}
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+pad)
}

func aliceAndBob(alice, bob person) string {
	return fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata:
  name: project-safety
spec:
  images: ["registry.example.com/project-safety/*"]
  signers:
  - name: alice-and-bob
    count: 2
    entries:
    - name: alice
      key:
        pem: |
%s
    - name: bob
      key:
        pem: |
%s
`, indent(alice.pub, 10), indent(bob.pub, 10))
}

func parse(t *testing.T, doc string) *policy.Set {
	t.Helper()
	set, _, err := policy.Parse([]byte(doc), "policy.yaml", t.TempDir())
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	return set
}

// TestAliceAndBob is the scenario of the Kubewarden certificate blog post
// (shared/seeds/000): images must be signed by both Alice and Bob; a threshold
// counts distinct signers, so Alice signing twice is not enough.
func TestAliceAndBob(t *testing.T) {
	alice, bob := newPerson(t, "alice"), newPerson(t, "bob")
	set := parse(t, aliceAndBob(alice, bob))
	h, _ := v1.NewHash(digestA)
	tests := []struct {
		name    string
		sigs    []evidence.Signature
		allowed bool
		reason  string
	}{
		{"nobody", nil, false, "0 of 2 required signers signed"},
		{"only alice", []evidence.Signature{alice.sign(t, digestA, nil)}, false, "1 of 2 required signers signed (bob: "},
		{"alice twice", []evidence.Signature{alice.sign(t, digestA, nil), alice.sign(t, digestA, nil)}, false, "1 of 2 required signers signed"},
		{"alice and bob", []evidence.Signature{alice.sign(t, digestA, nil), bob.sign(t, digestA, nil)}, true, ""},
		{"bob for another digest", []evidence.Signature{alice.sign(t, digestA, nil), bob.sign(t, "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", nil)}, false, "signature is for digest sha256:bbbb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := set.NewRun(time.Now).Evaluate("registry.example.com/project-safety/app:v1", h, policy.Evidence{Signatures: tc.sigs})
			if d.Allowed != tc.allowed {
				t.Fatalf("Evaluate() allowed = %v, want %v; reasons %v", d.Allowed, tc.allowed, d.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(d.Reasons, "\n"), tc.reason) {
				t.Errorf("reasons %q do not mention %q", d.Reasons, tc.reason)
			}
			if got := d.Policies[0].Signers[0].Satisfied; tc.allowed && got != 2 {
				t.Errorf("satisfied = %d, want 2", got)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	alice := newPerson(t, "alice")
	doc := fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: team}
spec:
  images: ["registry.example.com/team/*", "nginx*"]
  skipImages: ["registry.example.com/team/debug-*"]
  signers:
  - entries:
    - key:
        pem: |
%s
`, indent(alice.pub, 10))
	h, _ := v1.NewHash(digestA)
	for _, allow := range []bool{false, true} {
		src := doc
		if allow {
			src += "---\napiVersion: tollgate.dev/v1alpha1\nkind: PolicySet\nmetadata: {name: settings}\nspec: {uncoveredImages: Allow}\n"
		}
		set := parse(t, src)
		tests := []struct {
			image   string
			covered bool
		}{
			{"registry.example.com/team/app:v1", true},
			{"registry.example.com/team/sub/app@" + digestA, true},
			{"registry.example.com/team/debug-shell:v1", false},
			{"registry.example.com/other/app:v1", false},
			{"nginx:1.27", true},
			{"docker.io/library/nginx:1.27", false},
		}
		for _, tc := range tests {
			d := set.NewRun(time.Now).Evaluate(tc.image, h, policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil)}})
			if d.Uncovered == tc.covered {
				t.Errorf("allowUncovered=%v: Evaluate(%q).Uncovered = %v, want %v", allow, tc.image, d.Uncovered, !tc.covered)
			}
			if want := tc.covered || allow; d.Allowed != want {
				t.Errorf("allowUncovered=%v: Evaluate(%q).Allowed = %v, want %v (%v)", allow, tc.image, d.Allowed, want, d.Reasons)
			}
		}
	}
}

// TestLoadErrors: a policy is checked fully when loaded; every problem names
// its field path.
func TestLoadErrors(t *testing.T) {
	alice := newPerson(t, "alice")
	key := "key:\n        pem: |\n" + indent(alice.pub, 10)
	head := "apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
	tests := []struct {
		name, spec string
		want       []string
	}{
		{"unknown field", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - kee: {pem: x}\n", []string{"spec.signers[0].entries[0].kee: unknown field"}},
		{"unknown top field", "spec:\n  images: [a/*]\n  signer: []\n", []string{"spec.signer: unknown field"}},
		{"no images", "spec:\n  signers:\n  - entries:\n    - " + key + "\n", []string{"spec.images: at least one image pattern is required"}},
		{"count too high", "spec:\n  images: [a/*]\n  signers:\n  - count: 3\n    entries:\n    - " + key + "\n", []string{"spec.signers[0].count: 3: must be between 1 and the number of entries (1)"}},
		{"same key twice", "spec:\n  images: [a/*]\n  signers:\n  - count: 2\n    entries:\n    - " + key + "\n    - " + key + "\n", []string{"spec.signers[0].entries[1]: the same signer as spec.signers[0].entries[0]"}},
		{"bad key", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - key: {pem: nope}\n", []string{"spec.signers[0].entries[0]: key: unsupported key: no PEM block found"}},
		{"two kinds", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - key: {pem: x}\n      keyless: {issuer: {exact: i}, subject: {exact: s}}\n", []string{"give exactly one of key, certificate or keyless"}},
		{"missing file", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - key: {file: nowhere.pub}\n", []string{"spec.signers[0].entries[0]: key.file: open", "nowhere.pub"}},
		{"bad regexp", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - certificate:\n        roots: x\n        identity: {subject: {regexp: '('}}\n", []string{"spec.signers[0].entries[0]: roots: no PEM certificate found"}},
		{"bad predicate type", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - " + key + "\n  attestations:\n  - predicateType: not a uri\n", []string{"spec.attestations[0].predicateType: invalid predicate type"}},
		{"bad tlog", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - " + key + "\n  transparency: {tlog: Sometimes}\n", []string{"spec.transparency.tlog: \"Sometimes\" is neither Require nor Ignore"}},
		{"nothing required", "spec:\n  images: [a/*]\n", []string{"spec: requires neither signers nor attestations"}},
		{"kms", "spec:\n  images: [a/*]\n  signers:\n  - entries:\n    - key: {kms: 'awskms:///arn'}\n", []string{"key.kms: KMS keys are not supported yet"}},
		{"wrong type", "spec:\n  images: a/*\n", []string{"images", "list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := policy.Parse([]byte(head+tc.spec), "p.yaml", t.TempDir())
			if err == nil {
				t.Fatal("Parse() error = nil")
			}
			if !errors.Is(err, policy.ErrInvalid) {
				t.Errorf("Parse() error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse() error = %v\nwant it to mention %q", err, w)
				}
			}
		})
	}
}

func TestUnsupportedDocument(t *testing.T) {
	_, _, err := policy.Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), "x.yaml", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `unsupported document apiVersion "v1" kind "ConfigMap"`) {
		t.Errorf("Parse(ConfigMap) error = %v", err)
	}
}

// TestKeyFileRelative: key files are read relative to the policy file.
func TestKeyFileRelative(t *testing.T) {
	alice := newPerson(t, "alice")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "alice.pub"), []byte(alice.pub), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec:\n  images: ['*']\n  signers:\n  - entries:\n    - key: {file: keys/alice.pub}\n"
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	set, _, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(digestA)
	if d := set.NewRun(time.Now).Evaluate("any/image:v1", h, policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil)}}); !d.Allowed {
		t.Errorf("Evaluate() = %v, want allowed", d.Reasons)
	}
}

// TestRequiredAnnotations: set and entry annotations are both required.
func TestRequiredAnnotations(t *testing.T) {
	alice := newPerson(t, "alice")
	doc := fmt.Sprintf("apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec:\n  images: ['*']\n  signers:\n  - annotations: {team: payments}\n    entries:\n    - annotations: {env: prod}\n      key:\n        pem: |\n%s\n", indent(alice.pub, 10))
	set := parse(t, doc)
	h, _ := v1.NewHash(digestA)
	for _, tc := range []struct {
		ann     map[string]string
		allowed bool
	}{
		{nil, false},
		{map[string]string{"team": "payments"}, false},
		{map[string]string{"team": "payments", "env": "prod"}, true},
		{map[string]string{"team": "other", "env": "prod"}, false},
	} {
		d := set.NewRun(time.Now).Evaluate("x/y:v1", h, policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, tc.ann)}})
		if d.Allowed != tc.allowed {
			t.Errorf("annotations %v: allowed = %v, want %v (%v)", tc.ann, d.Allowed, tc.allowed, d.Reasons)
		}
	}
}

// TestTLogRequired: a policy that requires transparency log entries denies
// with a reason saying how to opt out, since tollgate cannot verify them yet.
func TestTLogRequired(t *testing.T) {
	alice := newPerson(t, "alice")
	doc := fmt.Sprintf("apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec:\n  images: ['*']\n  transparency: {tlog: Require}\n  signers:\n  - entries:\n    - key:\n        pem: |\n%s\n", indent(alice.pub, 10))
	set := parse(t, doc)
	h, _ := v1.NewHash(digestA)
	d := set.NewRun(time.Now).Evaluate("x/y:v1", h, policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil)}})
	if d.Allowed || !strings.Contains(strings.Join(d.Reasons, " "), "transparency log entry is required") {
		t.Errorf("Evaluate() = %v %v, want a denial for the missing tlog", d.Allowed, d.Reasons)
	}
}

// TestCacheByDigest: within a run a verdict is cached by digest, never by
// tag: two tags of one digest share it, another digest is evaluated anew.
func TestCacheByDigest(t *testing.T) {
	alice, bob := newPerson(t, "alice"), newPerson(t, "bob")
	set := parse(t, aliceAndBob(alice, bob))
	run := set.NewRun(time.Now)
	h, _ := v1.NewHash(digestA)
	both := policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil), bob.sign(t, digestA, nil)}}
	if d := run.Evaluate("registry.example.com/project-safety/app:v1", h, both); !d.Allowed {
		t.Fatalf("first evaluation denied: %v", d.Reasons)
	}
	// Same digest under another tag: the cached verdict, even with other evidence.
	if d := run.Evaluate("registry.example.com/project-safety/app:latest", h, policy.Evidence{}); !d.Allowed {
		t.Errorf("same digest, other tag: denied %v, want the cached verdict", d.Reasons)
	}
	// Same tag, another digest: evaluated anew.
	hb, _ := v1.NewHash("sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	if d := run.Evaluate("registry.example.com/project-safety/app:v1", hb, policy.Evidence{}); d.Allowed {
		t.Error("same tag, other digest: allowed from the cache")
	}
}

func TestRequireDigest(t *testing.T) {
	alice := newPerson(t, "alice")
	doc := fmt.Sprintf("apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec:\n  images: ['*']\n  requireDigest: true\n  signers:\n  - entries:\n    - key:\n        pem: |\n%s\n", indent(alice.pub, 10))
	set := parse(t, doc)
	h, _ := v1.NewHash(digestA)
	ev := policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil)}}
	if d := set.NewRun(time.Now).Evaluate("x/y:v1", h, ev); d.Allowed {
		t.Error("a tag reference was allowed under requireDigest")
	}
	if d := set.NewRun(time.Now).Evaluate("x/y@"+digestA, h, ev); !d.Allowed {
		t.Errorf("a digest reference was denied: %v", d.Reasons)
	}
}
