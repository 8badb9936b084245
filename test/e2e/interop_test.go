package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// TestTollgateSignsCosignVerifies: what tollgate writes, cosign v2 and v3
// verify, in both formats.
func TestTollgateSignsCosignVerifies(t *testing.T) {
	w := newWorld(t)
	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) {
			tag, digest := w.image("tg-" + format + "/app")
			r := w.tg("sign", "--key", "cosign.key", "--format", format, "-a", "team=payments", tag)
			wantCode(t, r, 0, "named by tag")
			if got := strings.TrimSpace(r.Stdout); got != digest {
				t.Errorf("sign printed %q, want %q", got, digest)
			}
			r = w.tg("verify", "--key", "cosign.pub", "-a", "team=payments", tag)
			wantCode(t, r, 0)
			if got := strings.TrimSpace(r.Stdout); got != digest {
				t.Errorf("verify printed %q, want %q", got, digest)
			}
			for _, major := range []int{2, 3} {
				if r := w.cosignVerify(major, "cosign.pub", digest); r.Code != 0 {
					t.Errorf("cosign v%d verify of a tollgate %s signature failed:\n%s", major, format, r)
				} else if !strings.Contains(r.Stdout, strings.TrimPrefix(digest[strings.Index(digest, "@")+1:], "")) {
					t.Errorf("cosign v%d verify output does not name %s:\n%s", major, digest, r)
				}
			}
			if format == "legacy" {
				// A cosign v2 user needs nothing extra for the tag scheme.
				if r := w.cosignVerifyLegacy("cosign.pub", digest); r.Code != 0 {
					t.Errorf("cosign v2 verify (no trusted root) failed:\n%s", r)
				}
			}
		})
	}
}

// TestCosignSignsTollgateVerifies: what cosign v2 and v3 write, tollgate
// verifies, and it reports the format it found.
func TestCosignSignsTollgateVerifies(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		name, format string
		sign         func(img string) harness.Result
	}{
		{"cosign-v2", "legacy", func(img string) harness.Result {
			return w.env.Run(w.cosign2, "sign", "--key", "cosign.key", "--tlog-upload=false", "-y", "-a", "team=payments", img)
		}},
		{"cosign-v3", "bundle", func(img string) harness.Result {
			return w.env.Run(w.cosign3, "sign", "--key", "cosign.key", "--signing-config", "no_services.json", "-y", "-a", "team=payments", img)
		}},
		{"cosign-v3-legacy", "legacy", func(img string) harness.Result {
			return w.env.Run(w.cosign3, "sign", "--key", "cosign.key", "--new-bundle-format=false", "--use-signing-config=false", "--tlog-upload=false", "-y", "-a", "team=payments", img)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, digest := w.image(c.name + "/app")
			if r := c.sign(digest); r.Code != 0 {
				t.Fatalf("%s sign failed:\n%s", c.name, r)
			}
			r := w.tg("verify", "--key", "cosign.pub", "-a", "team=payments", "--output", "json", digest)
			wantCode(t, r, 0)
			var rep struct {
				Images []struct {
					Digest     string
					Status     string
					Signatures []struct {
						Format   string
						Verified bool
					}
				}
			}
			if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
				t.Fatalf("verify --output json: %v\n%s", err, r)
			}
			if len(rep.Images) != 1 || rep.Images[0].Status != "verified" || rep.Images[0].Digest != digest {
				t.Fatalf("report = %+v, want one verified image %s", rep, digest)
			}
			var formats []string
			for _, s := range rep.Images[0].Signatures {
				if s.Verified {
					formats = append(formats, s.Format)
				}
			}
			if len(formats) != 1 || formats[0] != c.format {
				t.Errorf("verified signature formats = %v, want [%s]", formats, c.format)
			}
			// The annotation cosign signed is required, and a different value denied.
			wantCode(t, w.tg("verify", "--key", "cosign.pub", "-a", "team=other", digest), 1, "annotation team")
		})
	}
}

// TestDeniedByBoth: an unsigned image, an image signed with another key and
// an image whose signature was made for another digest are refused by
// tollgate and by cosign v2 and v3 alike, in both formats.
func TestDeniedByBoth(t *testing.T) {
	w := newWorld(t)
	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) {
			_, unsigned := w.image(format + "/unsigned")

			_, otherKey := w.image(format + "/other-key")
			w.env.MustRun(w.tollgate, "sign", "--key", "other.key", "--format", format, otherKey)

			_, signedA := w.image(format + "/moved")
			w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", "--format", format, signedA)
			_, victimB := w.image(format + "/moved-target")
			moveSignature(t, format, signedA, victimB)

			cases := []struct {
				name, image, reason string
			}{
				{"unsigned", unsigned, "no signatures found"},
				{"another key", otherKey, "does not verify with any trusted key"},
				{"another digest", victimB, "signature is for digest " + signedA[strings.Index(signedA, "@")+1:]},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := w.tg("verify", "--key", "cosign.pub", c.image)
					wantCode(t, r, 1, c.reason)
					if r.Stdout != "" {
						t.Errorf("a denied image was printed on stdout: %q", r.Stdout)
					}
					for _, major := range []int{2, 3} {
						if r := w.cosignVerify(major, "cosign.pub", c.image); r.Code == 0 {
							t.Errorf("cosign v%d verify passed, want a failure:\n%s", major, r)
						}
					}
					if format == "legacy" {
						if r := w.cosignVerifyLegacy("cosign.pub", c.image); r.Code == 0 {
							t.Errorf("cosign v2 verify (no trusted root) passed, want a failure:\n%s", r)
						}
					}
				})
			}
		})
	}
}
