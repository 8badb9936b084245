package kyverno

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden converts the testdata policies and compares them with the
// checked-in tollgate documents (-update refreshes them).
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.kyverno.yaml")
	if len(inputs) == 0 {
		t.Fatal("no testdata")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			ps, warnings, err := Convert(data, in)
			if err != nil {
				t.Fatalf("Convert() error = %v", err)
			}
			got, err := yaml.Marshal(map[string]any{"policies": ps, "warnings": warnings})
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(in, ".kyverno.yaml") + ".golden.yaml"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("Convert(%s) mismatch (-want +got):\n%s", in, d)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	const head = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n  - name: r\n    verifyImages:\n"
	const key = "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM\\n5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==\\n-----END PUBLIC KEY-----"
	tests := []struct{ name, body, want string }{
		{"unknown field", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - kees: {publicKeys: x}\n", "spec.rules[0].verifyImages[0].attestors[0].entries[0].kees: unknown field"},
		{"notary", "    - type: Notary\n      imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\"}\n", "verifyImages[0].type: Notary signatures are not supported"},
		{"secret", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {secret: {name: k, namespace: n}}\n", "entries[0].keys.secret: keys in Kubernetes Secrets need cluster access"},
		{"k8s ref", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {publicKeys: 'k8s://ns/key'}\n", "k8s:// references need cluster access"},
		{"kms", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {kms: 'awskms:///x'}\n", "keys.kms: KMS keys are not supported yet"},
		{"nested", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - attestor: {entries: []}\n", "entries[0].attestor: nested attestor sets are not supported"},
		{"repository", "    - imageReferences: ['*']\n      repository: registry.example.com/sigs\n      attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\"}\n", "verifyImages[0].repository: signatures in another repository are not supported yet"},
		{"not required", "    - imageReferences: ['*']\n      required: false\n      attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\"}\n", "verifyImages[0].required: false is not supported"},
		{"sha512", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\", signatureAlgorithm: sha512}\n", "signatureAlgorithm: \"sha512\" is not supported"},
		{"no images", "    - attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\"}\n", "verifyImages[0].imageReferences: at least one image reference is required"},
		{"two kinds", "    - imageReferences: ['*']\n      attestors:\n      - entries:\n        - keys: {publicKeys: \"" + key + "\"}\n          keyless: {subject: s}\n", "give exactly one of keys, certificates, keyless or attestor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Convert([]byte(head+tc.body), "p.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Convert() error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSeveralKeysInOneEntry(t *testing.T) {
	data, err := os.ReadFile("testdata/alice-and-bob.kyverno.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := Convert(data, "x")
	if err != nil {
		t.Fatal(err)
	}
	// Two keys in one publicKeys, count 2: two entries, both needed.
	if s := ps[1].Spec.Signers[0]; len(s.Entries) != 2 || s.Count != 2 {
		t.Errorf("signer set = %d entries, count %d; want 2 and 2", len(s.Entries), s.Count)
	}
}

func FuzzConvert(f *testing.F) {
	for _, in := range []string{"testdata/alice-and-bob.kyverno.yaml", "testdata/code-review.kyverno.yaml"} {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec: {rules: [{name: r, verifyImages: [{}]}]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			return
		}
		_, _, _ = Convert(j, "fuzz")
	})
}
