package kubewarden

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

func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.kubewarden.yaml")
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
			golden := strings.TrimSuffix(in, ".kubewarden.yaml") + ".golden.yaml"
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

func TestAllEntriesRequired(t *testing.T) {
	data, _ := os.ReadFile("testdata/alice-and-bob.kubewarden.yaml")
	ps, _, err := Convert(data, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		s := p.Spec.Signers[0]
		if s.Count != 0 || len(s.Entries) != 2 {
			t.Errorf("%s: count %d over %d entries, want all (0) of 2", p.Metadata.Name, s.Count, len(s.Entries))
		}
	}
	if ps[1].Spec.Transparency.TLog != "Require" {
		t.Errorf("requireRekorBundle did not require the tlog: %+v", ps[1].Spec.Transparency)
	}
	if *ps[0].Spec.MutateDigest {
		t.Error("modifyImagesWithDigest: false was not honoured")
	}
}

func TestErrors(t *testing.T) {
	const head = "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: p}\nspec:\n  module: ghcr.io/kubewarden/policies/verify-image-signatures:v0.2.0\n"
	tests := []struct{ name, body, want string }{
		{"snake case", "  settings:\n    signatures:\n    - image: '*'\n      github_actions: {owner: o}\n", "github_actions: unknown field (the setting is now called githubActions)"},
		{"unknown field", "  settings:\n    signatures:\n    - image: '*'\n      pubkeys: [x]\n", "spec.settings.signatures[0].pubkeys: unknown field"},
		{"other module", "  settings: {signatures: [{image: '*', pubKeys: [x]}]}\n", ""},
		{"two kinds", "  settings:\n    signatures:\n    - image: '*'\n      pubKeys: [x]\n      keyless: [{issuer: i, subject: s}]\n", "give exactly one of pubKeys"},
		{"no image", "  settings:\n    signatures:\n    - pubKeys: [x]\n", "signatures[0].image: required"},
		{"chain alone", "  settings:\n    signatures:\n    - image: '*'\n      pubKeys: [x]\n      certificateChain: [chain]\n", "certificateChain: only goes with certificates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := head + tc.body
			want := tc.want
			if tc.name == "other module" {
				body = strings.Replace(body, "verify-image-signatures:v0.2.0", "psp-capabilities:v0.1.0", 1)
				want = "is not the verify-image-signatures policy"
			}
			_, _, err := Convert([]byte(body), "p.yaml")
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Convert() error = %v, want one mentioning %q", err, want)
			}
		})
	}
}

func FuzzConvert(f *testing.F) {
	if b, err := os.ReadFile("testdata/alice-and-bob.kubewarden.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: p}\nspec: {module: verify-image-signatures, settings: {signatures: [{}]}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = Convert(b, "fuzz")
	})
}
