package act

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// wiringWorkflow uses the actions as a workflow on a runner without tollgate
// would: setup downloads the pinned release from the release site and checks
// it with the release.pub beside the action (what a released ref carries);
// sign takes its password from the job's COSIGN_PASSWORD, not an input.
const wiringWorkflow = `name: wiring
on: push
jobs:
  wiring:
    runs-on: ubuntu-latest
    env:
      COSIGN_PASSWORD: ${{ secrets.COSIGN_PASSWORD }}
      COSIGN_PRIVATE_KEY: ${{ secrets.COSIGN_PRIVATE_KEY }}
    steps:
      - id: setup
        uses: tollgate-dev/tollgate/actions/setup@v0.1.0
        with:
          version: v0.1.0
          base-url: ${{ vars.BASE_URL }}
      - name: Installed
        run: tollgate version
      - id: sign
        uses: tollgate-dev/tollgate/actions/sign@v0.1.0
        with:
          images: ${{ vars.IMAGE }}
          key: env://COSIGN_PRIVATE_KEY
`

// TestActionsWiring runs setup's download path and sign's password fallback
// through act, as action.yml wires them.
func TestActionsWiring(t *testing.T) {
	t.Parallel()
	if p, err := exec.LookPath("tollgate"); err == nil {
		t.Skipf("a tollgate is installed at %s; this test needs a PATH without one", p)
	}
	w := newWorld(t)
	rel := newRelease(t)
	writeFile(t, filepath.Join(w.repo, "actions/setup/release.pub"), rel.publicKey(t))
	writeFile(t, filepath.Join(w.repo, ".github/workflows/wiring.yml"), wiringWorkflow)
	img := w.buildImage("tollgate-example/wiring")

	r := w.actWith(".github/workflows/wiring.yml", nil, "push",
		"--var", "BASE_URL="+rel.serve(t), "--var", "IMAGE="+img)
	if r.code != 0 {
		t.Fatalf("the workflow failed:\n%s", r)
	}
	installed := r.output("wiring", "setup", "path")
	if !strings.HasSuffix(installed, "/tollgate") || installed == "" {
		t.Errorf("setup path output %q, want the installed binary\n%s", installed, r)
	}
	var printed bool
	for _, rec := range r.records {
		if rec.JobID == "wiring" && rec.Step == "Installed" && strings.HasPrefix(rec.Msg, "tollgate "+releaseVersion) {
			printed = true
		}
	}
	if !printed {
		t.Errorf("the step after setup did not run tollgate %s from PATH\n%s", releaseVersion, r)
	}
	if got := r.output("wiring", "sign", "image"); got != img {
		t.Errorf("sign image output %q, want %q", got, img)
	}
	w.env.MustRun(harness.Tollgate(t), "verify", "--key", "cosign.pub", img)

	// The same workflow with a release signed by another key stops at setup.
	bad := newRelease(t)
	r = w.actWith(".github/workflows/wiring.yml", nil, "push",
		"--var", "BASE_URL="+bad.serve(t), "--var", "IMAGE="+img)
	if r.code == 0 || r.stepResult("wiring", "tollgate-dev/tollgate/actions/setup@v0.1.0") != "failure" {
		t.Fatalf("setup passed a release signed by another key:\n%s", r)
	}
	if got := r.stepResult("wiring", "Installed"); got != "" {
		t.Errorf("a step ran after setup failed (result %q)", got)
	}
}
