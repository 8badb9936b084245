package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

const reviewType = "https://example.com/code-review/v1"

func testdata(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", name))
	return p
}

// cosignVerifyAttestation runs cosign verify-attestation of the given major
// version for format (v2 reads bundles only in bundle mode, with a trusted
// root; it is what a cosign v2 user would type for each format).
func (w *world) cosignVerifyAttestation(major int, format, typ, img string) harness.Result {
	w.t.Helper()
	args := []string{"verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", typ}
	bin := w.cosign3
	if major == 2 {
		bin = w.cosign2
		if format == "bundle" {
			args = append(args, "--new-bundle-format", "--trusted-root", "empty_trusted_root.json")
		}
	}
	return w.env.Run(bin, append(args, img)...)
}

// TestTollgateAttestsCosignVerifies: attestations tollgate writes, in both
// formats, for an SLSA v1 predicate and for a custom URI, pass cosign v2 and v3
// verify-attestation; asking for a type that is absent is refused by all, even
// though valid attestations of other types are present.
func TestTollgateAttestsCosignVerifies(t *testing.T) {
	w := newWorld(t)
	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) {
			_, img := w.image("tg-att-" + format + "/app")
			wantCode(t, w.tg("attest", "--key", "cosign.key", "--format", format, "--type", "slsaprovenance1", "--predicate", testdata("slsa1.json"), img), 0)
			wantCode(t, w.tg("attest", "--key", "cosign.key", "--format", format, "--type", reviewType, "--predicate", testdata("review.json"), img), 0)

			for _, typ := range []string{"slsaprovenance1", reviewType} {
				for _, major := range []int{2, 3} {
					if r := w.cosignVerifyAttestation(major, format, typ, img); r.Code != 0 {
						t.Errorf("cosign v%d verify-attestation --type %s failed:\n%s", major, typ, r)
					}
				}
				r := w.tg("verify-attestation", "--key", "cosign.pub", "--type", typ, img)
				wantCode(t, r, 0)
				if n := len(strings.Split(strings.TrimSpace(r.Stdout), "\n")); n != 1 {
					t.Errorf("tollgate printed %d statements for --type %s, want 1:\n%s", n, typ, r)
				}
			}
			// Absent type: refused everywhere.
			for _, major := range []int{2, 3} {
				if r := w.cosignVerifyAttestation(major, format, "spdxjson", img); r.Code == 0 {
					t.Errorf("cosign v%d verify-attestation --type spdxjson passed:\n%s", major, r)
				}
			}
			wantCode(t, w.tg("verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", img), 1, "no valid attestation of type https://spdx.dev/Document", "is of type "+reviewType)
			// Signed by another key: refused.
			wantCode(t, w.tg("verify-attestation", "--key", "other.pub", "--type", reviewType, img), 1, "does not verify with any trusted key")
		})
	}
}

// TestCosignAttestsTollgateVerifies: what cosign v2 (tag scheme) and cosign v3
// (bundles) attest, tollgate verifies by type, printing the decoded statement;
// an absent type is refused.
func TestCosignAttestsTollgateVerifies(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		name, format string
		attest       func(typ, predicate, img string) harness.Result
	}{
		{"cosign-v2", "legacy", func(typ, predicate, img string) harness.Result {
			return w.env.Run(w.cosign2, "attest", "--key", "cosign.key", "--tlog-upload=false", "-y", "--type", typ, "--predicate", predicate, img)
		}},
		{"cosign-v3", "bundle", func(typ, predicate, img string) harness.Result {
			return w.env.Run(w.cosign3, "attest", "--key", "cosign.key", "--signing-config", "no_services.json", "-y", "--type", typ, "--predicate", predicate, img)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, img := w.image(c.name + "-att/app")
			for _, a := range [][2]string{{"slsaprovenance1", testdata("slsa1.json")}, {reviewType, testdata("review.json")}} {
				if r := c.attest(a[0], a[1], img); r.Code != 0 {
					t.Fatalf("%s attest --type %s failed:\n%s", c.name, a[0], r)
				}
			}
			r := w.tg("verify-attestation", "--key", "cosign.pub", "--type", reviewType, img)
			wantCode(t, r, 0)
			var st struct {
				PredicateType string `json:"predicateType"`
				Predicate     struct {
					Reviewers []string `json:"reviewers"`
				} `json:"predicate"`
				Subject []struct {
					Digest map[string]string `json:"digest"`
				} `json:"subject"`
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &st); err != nil {
				t.Fatalf("verify-attestation printed no decoded statement: %v\n%s", err, r)
			}
			if st.PredicateType != reviewType || strings.Join(st.Predicate.Reviewers, ",") != "alice,bob" || len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != img[strings.Index(img, "@")+1:] {
				t.Errorf("statement = %+v", st)
			}
			// The gate: a signature is required too, so sign, then require both types.
			// (cosign v3's attestation bundles are examined as possible
			// signatures and refused as attestations; cosign v2's live under .att.)
			r = w.tg("verify", "--key", "cosign.pub", "--attestation-type", "slsaprovenance1", img)
			wantCode(t, r, 1)
			if !strings.Contains(r.Stderr, "no signatures found") && !strings.Contains(r.Stderr, "bundle is an attestation, not a signature") {
				t.Errorf("unsigned image not refused for lack of a signature:\n%s", r)
			}
			if r := w.env.Run(w.cosign2, "sign", "--key", "cosign.key", "--tlog-upload=false", "-y", img); r.Code != 0 {
				t.Fatalf("cosign sign failed:\n%s", r)
			}
			r = w.tg("verify", "--key", "cosign.pub", "--attestation-type", "slsaprovenance1", "--attestation-type", reviewType, "-o", "json", img)
			wantCode(t, r, 0)
			if !strings.Contains(r.Stdout, `"predicateType": "https://slsa.dev/provenance/v1"`) || !strings.Contains(r.Stdout, `"buildType": "https://actions.github.io/buildtypes/workflow/v1"`) {
				t.Errorf("JSON report lacks the decoded provenance statement:\n%s", r.Stdout)
			}
			wantCode(t, w.tg("verify", "--key", "cosign.pub", "--attestation-type", "vuln", img), 1, "no valid attestation of type https://cosign.sigstore.dev/attestation/vuln/v1")
		})
	}
}
