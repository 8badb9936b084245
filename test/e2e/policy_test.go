package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// keyPolicy writes a tollgate policy requiring count of the given public
// key files for images under repo prefix.
func (w *world) keyPolicy(name, images string, count int, keys ...string) string {
	w.t.Helper()
	var entries strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&entries, "    - name: %s\n      key: {file: %s}\n", strings.TrimSuffix(k, ".pub"), k)
	}
	return w.write(name, fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata:
  name: %s
spec:
  images: [%q]
  signers:
  - name: required-signers
    count: %d
    entries:
%s`, strings.TrimSuffix(name, ".yaml"), images, count, entries.String()))
}

// TestPolicyAliceAndBob: images under project-safety must be signed by both
// Alice and Bob (../shared/seeds/000). Only Alice: denied; Alice and Bob:
// allowed; Alice twice: denied; an image no policy covers: denied.
func TestPolicyAliceAndBob(t *testing.T) {
	w := newWorld(t)
	w.env.MustRun(w.tollgate, "generate-key-pair", "--output-key-prefix", "alice")
	w.env.MustRun(w.tollgate, "generate-key-pair", "--output-key-prefix", "bob")
	pol := w.keyPolicy("project-safety.yaml", w.reg.Addr+"/project-safety/*", 2, "alice.pub", "bob.pub")

	_, onlyAlice := w.image("project-safety/only-alice")
	_, both := w.image("project-safety/both")
	_, twice := w.image("project-safety/alice-twice")
	_, elsewhere := w.image("other-team/app")
	w.env.MustRun(w.tollgate, "sign", "--key", "alice.key", onlyAlice, both, twice, elsewhere)
	w.env.MustRun(w.tollgate, "sign", "--key", "bob.key", "--format", "bundle", both, elsewhere)
	w.env.MustRun(w.tollgate, "sign", "--key", "alice.key", twice)

	wantCode(t, w.tg("verify", "--policy", pol, onlyAlice), 1, "1 of 2 required signers signed", "(bob: ", "signature does not verify with any trusted key")
	r := w.tg("verify", "--policy", pol, both)
	wantCode(t, r, 0)
	if strings.TrimSpace(r.Stdout) != both {
		t.Errorf("verify printed %q, want %q", r.Stdout, both)
	}
	wantCode(t, w.tg("verify", "--policy", pol, twice), 1, "1 of 2 required signers signed")
	wantCode(t, w.tg("verify", "--policy", pol, elsewhere), 1, "no policy covers this image")

	// All at once, with the JSON report naming the policy and the signers.
	r = w.tg("verify", "--policy", pol, "-o", "json", onlyAlice, both, twice)
	wantCode(t, r, 1)
	for _, want := range []string{`"name": "project-safety"`, `"needed": 2`, `"satisfied": 1`, `"satisfied": 2`, `"allowed": true`} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("JSON report lacks %s:\n%s", want, r.Stdout)
		}
	}
}

// TestPolicyCodeReview: the code-review attestation of the Kyverno reference
// (../shared/seeds/001), its conditions written Kyverno's way and in CEL; a
// predicate that breaks one condition is denied, naming that condition.
func TestPolicyCodeReview(t *testing.T) {
	w := newWorld(t)
	const reviewType = "https://example.com/CodeReview/v1"
	good := w.write("good-review.json", `{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},"reviewers":["ana@example.com","bob@example.com"]}`)
	bad := w.write("bad-review.json", `{"repo":{"uri":"https://git-repo.com/org/app","branch":"dev"},"reviewers":["ana@example.com"]}`)
	_, okImg := w.image("org/app-reviewed")
	_, badImg := w.image("org/app-unreviewed")
	for img, pred := range map[string]string{okImg: good, badImg: bad} {
		w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--type", reviewType, "--predicate", pred, img)
	}
	head := fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: code-review}
spec:
  images: [%q]
  attestations:
  - name: code-review
    predicateType: %s
    signers:
    - entries:
      - key: {file: cosign.pub}
    conditions:
`, w.reg.Addr+"/org/app*", reviewType)
	kyverno := w.write("kyverno-style.yaml", head+`      kyverno:
      - all:
        - key: "{{ repo.uri }}"
          operator: Equals
          value: "https://git-repo.com/org/app"
        - key: "{{ repo.branch }}"
          operator: Equals
          value: "main"
        - key: "{{ reviewers }}"
          operator: AnyIn
          value: ["ana@example.com", "bob@example.com"]
`)
	cel := w.write("cel.yaml", head+`      cel:
      - predicate.repo.uri == "https://git-repo.com/org/app"
      - predicate.repo.branch == "main"
      - predicate.reviewers.exists(r, r in ["ana@example.com", "bob@example.com"])
`)
	for _, pol := range []string{kyverno, cel} {
		t.Run(filepath.Base(pol), func(t *testing.T) {
			wantCode(t, w.tg("verify", "--policy", pol, okImg), 0)
			wantCode(t, w.tg("verify", "--policy", pol, badImg), 1, "condition failed", "branch")
		})
	}
}

// TestPromote: a denied image leaves the destination untouched; an allowed
// one arrives with its signatures and attestations, cosign verifies it
// there, and promoting again changes nothing.
func TestPromote(t *testing.T) {
	w := newWorld(t)
	pol := w.keyPolicy("staging.yaml", w.reg.Addr+"/staging/*", 0, "cosign.pub")
	_, unsigned := w.image("staging/unsigned")
	wantCode(t, w.tg("promote", "--policy", pol, unsigned, w.reg.Addr+"/prod/unsigned:v1"), 1, "denied by policy", "nothing was written")
	if r := w.env.Run(w.cosign2, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", w.reg.Addr+"/prod/unsigned:v1"); r.Code == 0 {
		t.Errorf("the denied image reached prod:\n%s", r)
	}
	if tags := tagsOrNone(t, w.reg.Addr+"/prod/unsigned"); len(tags) != 0 {
		t.Errorf("prod/unsigned has tags %v after a denied promotion, want none", tags)
	}

	tag, signed := w.image("staging/app")
	w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", signed)
	w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--type", "slsaprovenance1", "--predicate", testdata("slsa1.json"), signed)
	w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--format", "bundle", "--type", reviewType, "--predicate", testdata("review.json"), signed)
	dst := w.reg.Addr + "/prod/app:v1"
	dstDigest := w.reg.Addr + "/prod/app@" + signed[strings.Index(signed, "@")+1:]

	r := w.tg("promote", "--policy", pol, "--dry-run", tag, dst)
	wantCode(t, r, 0, "would promote")
	if tags := tagsOrNone(t, w.reg.Addr+"/prod/app"); len(tags) != 0 {
		t.Errorf("a dry run wrote tags %v", tags)
	}
	r = w.tg("promote", "--policy", pol, tag, dst)
	wantCode(t, r, 0, "1 signatures, 1 attestations, 1 referrers added, tagged v1")
	if strings.TrimSpace(r.Stdout) != dstDigest {
		t.Errorf("promote printed %q, want %q", r.Stdout, dstDigest)
	}
	for _, major := range []int{2, 3} {
		if r := w.cosignVerify(major, "cosign.pub", dst); r.Code != 0 {
			t.Errorf("cosign v%d verify at the destination failed:\n%s", major, r)
		}
	}
	// cosign (v2 and v3) reads only bundle attestations once an image has
	// any, so in this image, which has both formats on purpose, it can check
	// the bundle one; tollgate checks both below.
	if r := w.env.Run(w.cosign3, "verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", reviewType, dstDigest); r.Code != 0 {
		t.Errorf("cosign v3 verify-attestation at the destination failed:\n%s", r)
	}
	wantCode(t, w.tg("verify", "--key", "cosign.pub", "--attestation-type", "slsaprovenance1", "--attestation-type", reviewType, dst), 0)
	before := tagsOrNone(t, w.reg.Addr+"/prod/app")
	wantCode(t, w.tg("promote", "--policy", pol, tag, dst), 0, "0 signatures, 0 attestations, 0 referrers added")
	if after := tagsOrNone(t, w.reg.Addr+"/prod/app"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("promoting again changed tags: %v -> %v", before, after)
	}
}

// TestRewriteManifests: every image of a multi-document manifest (a
// Deployment, a CronJob and a Pod) is verified and pinned by --rewrite; with
// one image denied, nothing is rewritten.
func TestRewriteManifests(t *testing.T) {
	w := newWorld(t)
	pol := w.keyPolicy("policy.yaml", w.reg.Addr+"/*", 0, "cosign.pub")
	var refs []string
	for _, n := range []string{"web", "migrate", "report", "shell"} {
		tag, d := w.image("shop/" + n)
		w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", d)
		refs = append(refs, tag)
	}
	manifest := fmt.Sprintf(`# shop
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: %s
      containers:
      - name: web
        image: "%s"   # the app
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: report
            image: %s
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers:
  - name: shell
    image: '%s'
`, refs[1], refs[0], refs[2], refs[3])
	path := w.write("shop.yaml", manifest)
	r := w.tg("verify", "--policy", pol, "-f", path, "--rewrite")
	wantCode(t, r, 0, "rewrote "+path+": 4 images pinned")
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if !strings.Contains(string(out), ref+"@sha256:") {
			t.Errorf("%s was not pinned:\n%s", ref, out)
		}
	}
	if !strings.Contains(string(out), "# the app") || !strings.Contains(string(out), "# shop") {
		t.Errorf("comments were lost:\n%s", out)
	}
	// Verify the pinned manifest again: still allowed, nothing to change.
	wantCode(t, w.tg("verify", "--policy", pol, "-f", path, "--rewrite"), 0)

	// One unsigned image: denied, and the file is left as it was.
	unsignedTag, _ := w.image("shop/unsigned")
	path2 := w.write("mixed.yaml", strings.Replace(manifest, "'"+refs[3]+"'", "'"+unsignedTag+"'", 1))
	before, _ := os.ReadFile(path2)
	wantCode(t, w.tg("verify", "--policy", pol, "-f", path2, "--rewrite"), 1, "no manifest was rewritten")
	if after, _ := os.ReadFile(path2); string(after) != string(before) {
		t.Error("a manifest was rewritten although an image was denied")
	}
}

// tagsOrNone lists a repository's tags, or none when it does not exist.
func tagsOrNone(t *testing.T, repo string) []string {
	t.Helper()
	tags, err := harness.ListTags(repo)
	if err != nil {
		return nil
	}
	return tags
}
