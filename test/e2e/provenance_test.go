package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestProvenance: attest --provenance under a recorded GitHub Actions
// context and on a plain machine, in SLSA v1 and v0.2; tollgate and cosign
// v2 and v3 verify it by type, and the statement says where it was built.
func TestProvenance(t *testing.T) {
	w := newWorld(t)
	event := w.write("event.json", `{"ref":"refs/heads/main","repository":{"full_name":"acme/app"}}`)
	gh := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app",
		"GITHUB_REPOSITORY_ID": "1", "GITHUB_REPOSITORY_OWNER_ID": "2", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_EVENT_NAME": "push",
		"GITHUB_EVENT_PATH": event, "GITHUB_WORKFLOW_REF": "acme/app/.github/workflows/release.yml@refs/heads/main",
		"RUNNER_ENVIRONMENT": "github-hosted", "TOLLGATE_CI": "none",
	}
	cases := []struct {
		name, version, cosignType, builder string
		env                                map[string]string
	}{
		{"github v1", "1", "slsaprovenance1", "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", gh},
		{"github v0.2", "0.2", "slsaprovenance", "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", gh},
		{"local", "1", "slsaprovenance1", "https://tollgate.dev/builders/local", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := *w.env
			for k, v := range c.env {
				env.Set(k, v)
			}
			_, img := w.image("prov/" + strings.ReplaceAll(c.name, " ", "-"))
			r := env.Run(w.tollgate, "provenance", "--provenance-version", c.version, img)
			wantCode(t, r, 0)
			var st struct {
				PredicateType string `json:"predicateType"`
				Predicate     map[string]any
			}
			if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
				t.Fatalf("provenance printed no statement: %v\n%s", err, r)
			}
			if !strings.Contains(r.Stdout, c.builder) {
				t.Errorf("statement does not name builder %s:\n%s", c.builder, r.Stdout)
			}
			wantCode(t, env.Run(w.tollgate, "attest", "--key", "cosign.key", "--provenance", "--provenance-version", c.version, img), 0)
			wantCode(t, w.tg("verify-attestation", "--key", "cosign.pub", "--type", c.cosignType, img), 0)
			for _, major := range []int{2, 3} {
				if r := w.cosignVerifyAttestation(major, "legacy", c.cosignType, img); r.Code != 0 {
					t.Errorf("cosign v%d verify-attestation --type %s failed:\n%s", major, c.cosignType, r)
				}
			}
		})
	}
	// --provenance builds its own predicate.
	_, img := w.image("prov/conflict")
	wantCode(t, w.tg("attest", "--key", "cosign.key", "--provenance", "--type", "custom", img), 2, "do not give --type or --predicate")
	wantCode(t, w.tg("provenance", "--provenance-version", "0.3", img), 2, "want 1 or 0.2")
}
