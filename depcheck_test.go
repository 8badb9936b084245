package tollgate_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection fails when a package that must stay free of
// registry I/O or CLI code picks it up, directly or through a dependency
// (../shared/STYLE.md: verification, signing and provenance are testable
// offline; registry I/O lives in oci alone).
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/tollgate-dev/tollgate"
	// Registry I/O and tollgate's own CLI are forbidden through any path.
	forbidden := []string{
		"github.com/google/go-containerregistry/pkg/v1/remote",
		mod + "/oci",
		mod + "/flow",
		mod + "/cmd/",
	}
	// CLI libraries are forbidden as imports of the package's own files; a
	// dependency that links cobra for its own tools (sassoftware/relic, under
	// sigstore-go's timestamping) does not make signer a CLI.
	forbiddenDirect := []string{"github.com/spf13/cobra", "github.com/spf13/pflag"}
	for _, pkg := range []string{"evidence", "signer", "verifier", "verifier/conditions", "verifier/policy", "provenance", "manifests"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+"/"+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if dep == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
						t.Errorf("%s depends on %s (forbidden: %s)", pkg, dep, f)
					}
				}
			}
			out, err = exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, mod+"/"+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", pkg, err, out)
			}
			for _, imp := range strings.Fields(string(out)) {
				for _, f := range forbiddenDirect {
					if imp == f {
						t.Errorf("%s imports %s", pkg, imp)
					}
				}
			}
		})
	}
	// The shipped binary must not carry test-only heavy packages.
	out, err := exec.Command("go", "list", "-deps", mod+"/cmd/tollgate").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps cmd/tollgate: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range []string{"github.com/tektoncd/pipeline", "github.com/nektos/act", mod + "/test/"} {
			if strings.HasPrefix(dep, f) {
				t.Errorf("the tollgate binary depends on %s, which only tests may use", dep)
			}
		}
	}
}
