package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// TestExampleLocalWalkthrough runs examples/local/walkthrough.sh as a
// developer would: sign, attest and verify an image in an OCI layout, then
// push it with its evidence; the registry copy verifies with cosign too.
func TestExampleLocalWalkthrough(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	digest := writeLayout(t, filepath.Join(w.env.Dir, "build"), "latest")
	dest := w.reg.Addr + "/tollgate-example/local:dev"
	w.env.Set("TOLLGATE", w.tollgate)
	r := w.env.MustRun(filepath.Join(harness.Root(), "examples/local/walkthrough.sh"), "build", dest)
	for _, want := range []string{
		"would push legacy signature",
		"oci:build@" + digest,
		w.reg.Addr + "/tollgate-example/local@" + digest,
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the walkthrough's output lacks %q:\n%s", want, r)
		}
	}
	// What the walkthrough pushed is what cosign verifies.
	w.env.MustRun(w.cosign2, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", dest)
	w.env.MustRun(w.cosign2, "verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", "slsaprovenance1", dest)

	// Without a destination nothing leaves the machine.
	before := harness.Tags(t, w.reg.Addr+"/tollgate-example/local")
	w.env.MustRun(filepath.Join(harness.Root(), "examples/local/walkthrough.sh"), "build")
	if after := harness.Tags(t, w.reg.Addr+"/tollgate-example/local"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("the walkthrough without a destination changed the registry: %v -> %v", before, after)
	}
}

// TestExamplePolicies: the example release policy in its three forms loads,
// and the tollgate and Kyverno forms (which both require provenance from a
// CI builder) agree on a signed image with CI provenance, one with local
// provenance and an unsigned one; the Kubewarden form, which checks the
// signature only, agrees on the signature.
func TestExamplePolicies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Join(w.env.Dir, "policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(w.env.Dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	examplePub, err := os.ReadFile(filepath.Join(harness.Root(), "examples/policies/cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tollgate.yaml", "kyverno.yaml", "kubewarden.yaml"} {
		src := filepath.Join(harness.Root(), "examples/policies", name)
		w.env.MustRun(w.tollgate, "policy", "lint", src)
		text, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(text), "registry.example.com", w.reg.Addr)
		// The inline keys of the Kyverno and Kubewarden forms, at the
		// indentation they have in the file.
		s = replaceIndentedPEM(s, string(examplePub), string(pub))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}

	_, ci := w.image("tollgate-example/ci")
	_, laptop := w.image("tollgate-example/laptop")
	_, unsigned := w.image("tollgate-example/unsigned")
	for _, img := range []string{ci, laptop} {
		w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", img)
	}
	// CI provenance: what the attest step writes in a GitHub Actions job.
	ciEnv := harness.NewEnv(t)
	ciEnv.Dir = w.env.Dir
	for k, v := range map[string]string{
		"COSIGN_PASSWORD": password, "GITHUB_ACTIONS": "true", "TOLLGATE_CI": "none",
		"GITHUB_REPOSITORY": "tollgate-dev/example", "GITHUB_REPOSITORY_ID": "1", "GITHUB_REPOSITORY_OWNER": "tollgate-dev",
		"GITHUB_REPOSITORY_OWNER_ID": "2", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_WORKFLOW_REF": "tollgate-dev/example/.github/workflows/release.yml@refs/heads/main",
		"GITHUB_EVENT_NAME":   "push", "GITHUB_SERVER_URL": "https://github.com", "RUNNER_ENVIRONMENT": "github-hosted",
	} {
		ciEnv.Set(k, v)
	}
	ciEnv.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--provenance", ci)
	w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--provenance", laptop)

	for _, tc := range []struct {
		policy string
		pass   map[string]bool
	}{
		{"tollgate.yaml", map[string]bool{ci: true, laptop: false, unsigned: false}},
		{"kyverno.yaml", map[string]bool{ci: true, laptop: false, unsigned: false}},
		{"kubewarden.yaml", map[string]bool{ci: true, laptop: true, unsigned: false}},
	} {
		for img, pass := range tc.pass {
			r := w.env.Run(w.tollgate, "verify", "--policy", filepath.Join(dir, tc.policy), img)
			if (r.Code == 0) != pass {
				t.Errorf("%s on %s: exit %d, want pass=%v\n%s", tc.policy, img, r.Code, pass, r)
			}
			if !pass && r.Code != 1 {
				t.Errorf("%s on %s: exit %d, want 1 (denied)", tc.policy, img, r.Code)
			}
		}
	}
}

// replaceIndentedPEM replaces every occurrence of the PEM block old, at any
// indentation, with new at the same indentation.
func replaceIndentedPEM(s, old, new string) string {
	oldLines := strings.Split(strings.TrimSpace(old), "\n")
	newLines := strings.Split(strings.TrimSpace(new), "\n")
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " "))]
		if i+len(oldLines) <= len(lines) && matchesAt(lines[i:i+len(oldLines)], oldLines, indent) {
			for _, l := range newLines {
				out = append(out, indent+l)
			}
			i += len(oldLines) - 1
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}

func matchesAt(lines, want []string, indent string) bool {
	for j, l := range want {
		if lines[j] != indent+l {
			return false
		}
	}
	return true
}
