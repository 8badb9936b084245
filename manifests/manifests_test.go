package manifests

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const digest = "sha256:abababababababababababababababababababababababababababababababab"

func load(t *testing.T, name string) *File {
	t.Helper()
	fs, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return fs[0]
}

func TestImages(t *testing.T) {
	f := load(t, "app.yaml")
	type row struct {
		Kind, Name, Container, Field, Ref string
		Line                              int
	}
	var got []row
	for _, im := range f.Images() {
		got = append(got, row{im.Kind, im.Name, im.Container, im.Field, im.Ref, im.Line})
	}
	want := []row{
		{"Deployment", "web", "migrate", "spec.template.spec.initContainers[0].image", "registry.example.com/shop/migrate:v3", 13},
		{"Deployment", "web", "web", "spec.template.spec.containers[0].image", "registry.example.com/shop/web:v1.4.2", 16},
		{"Deployment", "web", "sidecar", "spec.template.spec.containers[1].image", "registry.example.com/shop/proxy:1.0", 18},
		{"CronJob", "nightly", "report", "spec.jobTemplate.spec.template.spec.containers[0].image", "registry.example.com/shop/report@sha256:1111111111111111111111111111111111111111111111111111111111111111", 32},
		{"Pod", "debug", "shell", "spec.containers[0].image", "registry.example.com/tools/shell:2", 48},
		{"Pod", "debug", "probe", "spec.ephemeralContainers[0].image", "registry.example.com/tools/probe:latest", 51},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Images() mismatch (-want +got):\n%s", d)
	}
	if s := f.Skipped(); len(s) != 1 || s[0].Kind != "ConfigMap" || s[0].Name != "settings" {
		t.Errorf("Skipped() = %+v, want the ConfigMap", s)
	}
}

// TestRewriteGolden pins every image, keeping every other byte.
func TestRewriteGolden(t *testing.T) {
	for _, name := range []string{"app.yaml", "list.json"} {
		t.Run(name, func(t *testing.T) {
			f := load(t, name)
			out, err := f.Rewrite(func(im Image) (string, bool) {
				p, err := PinDigest(im.Ref, digest)
				return p, err == nil
			})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(out)); d != "" {
				t.Errorf("Rewrite() mismatch (-want +got):\n%s", d)
			}
			again, err := Parse(name, out)
			if err != nil {
				t.Fatal(err)
			}
			for i, im := range again.Images() {
				if !strings.HasSuffix(im.Ref, "@"+digest) || im.Field != f.Images()[i].Field {
					t.Errorf("after rewrite, %s = %q", im.Field, im.Ref)
				}
			}
		})
	}
}

func TestRewriteKeepsOthers(t *testing.T) {
	f := load(t, "app.yaml")
	out, err := f.Rewrite(func(im Image) (string, bool) {
		if im.Container != "web" {
			return "", false
		}
		return "registry.example.com/shop/web:v1.4.2@" + digest, true
	})
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join("testdata", "app.yaml"))
	if got, want := string(out), strings.Replace(string(orig), `"registry.example.com/shop/web:v1.4.2"`, `"registry.example.com/shop/web:v1.4.2@`+digest+`"`, 1); got != want {
		t.Errorf("Rewrite changed more than the one image:\n%s", cmp.Diff(want, got))
	}
	if same, err := f.Rewrite(func(Image) (string, bool) { return "", false }); err != nil || string(same) != string(orig) {
		t.Errorf("identity Rewrite changed the file: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
		rewrite          bool
	}{
		{"not a list", "kind: Pod\nspec:\n  containers: {name: x}\n", "spec.containers is not a list", false},
		{"empty image", "kind: Pod\nspec:\n  containers:\n  - image: ''\n", "x.yaml:4: spec.containers[0].image is not a non-empty string", false},
		{"number image", "kind: Pod\nspec:\n  containers:\n  - image: 12\n", "is not a non-empty string", false},
		{"alias", "kind: Pod\nx: &i registry/app:v1\nspec:\n  containers:\n  - image: *i\n", "x.yaml:5: spec.containers[0].image is a YAML alias", false},
		{"block scalar", "kind: Pod\nspec:\n  containers:\n  - image: >-\n      registry/app:v1\n", "x.yaml:4: spec.containers[0].image is a block scalar", true},
		{"bad yaml", "kind: Pod\nspec: [\n", "x.yaml: document 1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte(tc.data))
			if tc.rewrite {
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.Rewrite(func(im Image) (string, bool) { return im.Ref + "@" + digest, true })
				if !errors.Is(err, ErrUnsupported) {
					t.Errorf("Rewrite() error %v is not ErrUnsupported", err)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPinDigest(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"registry.example.com/app:v1", "registry.example.com/app:v1@" + digest},
		{"nginx", "nginx@" + digest},
		{"registry.example.com/app:v1@sha256:1111111111111111111111111111111111111111111111111111111111111111", "registry.example.com/app:v1@" + digest},
	}
	for _, tc := range tests {
		if got, err := PinDigest(tc.ref, digest); err != nil || got != tc.want {
			t.Errorf("PinDigest(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
	if _, err := PinDigest("app:v1", "md5:abc"); err == nil {
		t.Error("PinDigest(md5) error = nil")
	}
}

func TestLoadDirectory(t *testing.T) {
	fs, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		n += len(f.Images())
	}
	if n != 8 {
		t.Errorf("Load(testdata) found %d images, want 8", n)
	}
}
