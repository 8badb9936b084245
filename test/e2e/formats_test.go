package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

func indentFile(t *testing.T, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "\n"+pad)
}

// TestAliceAndBobInEveryFormat: the scenario of ../shared/seeds/000 written
// as a tollgate Policy, a Kyverno ClusterPolicy and a Kubewarden
// ClusterAdmissionPolicy, with keys and with certificates issued by a
// company CA: every format gives the same verdicts (only Alice: denied;
// Alice twice: denied; Alice and Bob: allowed).
func TestAliceAndBobInEveryFormat(t *testing.T) {
	w := newWorld(t)
	images := "127.0.0.1:*/project-safety/*"
	type signer struct{ key, cert string }

	// Keys.
	w.env.MustRun(w.tollgate, "generate-key-pair", "--output-key-prefix", "alice")
	w.env.MustRun(w.tollgate, "generate-key-pair", "--output-key-prefix", "bob")
	keyPolicies := map[string]string{
		"tollgate": w.keyPolicy("keys-tollgate.yaml", images, 2, "alice.pub", "bob.pub"),
		"kyverno": w.write("keys-kyverno.yaml", fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: project-safety}
spec:
  validationFailureAction: Enforce
  rules:
  - name: alice-and-bob
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: [%q]
      attestors:
      - count: 2
        entries:
        - keys:
            publicKeys: |-
%s
            rekor: {ignoreTlog: true}
        - keys:
            publicKeys: |-
%s
            rekor: {ignoreTlog: true}
`, images, indentFile(t, w.env.Dir+"/alice.pub", 14), indentFile(t, w.env.Dir+"/bob.pub", 14))),
		"kubewarden": w.write("keys-kubewarden.yaml", fmt.Sprintf(`apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: verify-image-signatures}
spec:
  module: ghcr.io/kubewarden/policies/verify-image-signatures:v0.1.7
  rules:
  - {apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE, UPDATE]}
  mutating: true
  settings:
    signatures:
    - image: %q
      pubKeys:
      - |
%s
      - |
%s
`, images, indentFile(t, w.env.Dir+"/alice.pub", 8), indentFile(t, w.env.Dir+"/bob.pub", 8))),
	}

	// Certificates, as in the seed: Alice's and Bob's, and the chain.
	pki := harness.NewPKI(t, w.env.Dir)
	aliceKey, aliceCert := pki.Leaf(t, "alice-cert", "alice@example.com")
	bobKey, bobCert := pki.Leaf(t, "bob-cert", "bob@example.com")
	certPolicies := map[string]string{
		"tollgate": w.write("certs-tollgate.yaml", fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: project-safety}
spec:
  images: [%q]
  signers:
  - count: 2
    entries:
    - name: alice
      certificate: {certificateFile: %s, chainFile: %s}
    - name: bob
      certificate: {certificateFile: %s, chainFile: %s}
`, images, aliceCert, pki.Chain, bobCert, pki.Chain)),
		"kyverno": w.write("certs-kyverno.yaml", fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: project-safety}
spec:
  rules:
  - name: alice-and-bob
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: [%q]
      attestors:
      - entries:
        - certificates:
            cert: |-
%s
            certChain: |-
%s
            rekor: {ignoreTlog: true}
        - certificates:
            cert: |-
%s
            certChain: |-
%s
            rekor: {ignoreTlog: true}
`, images, indentFile(t, aliceCert, 14), indentFile(t, pki.Chain, 14), indentFile(t, bobCert, 14), indentFile(t, pki.Chain, 14))),
		"kubewarden": w.write("certs-kubewarden.yaml", fmt.Sprintf(`apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: verify-image-signatures}
spec:
  module: ghcr.io/kubewarden/policies/verify-image-signatures:v0.1.7
  mutating: true
  settings:
    signatures:
    - image: %q
      certificates:
      - |
%s
      - |
%s
      certificateChain:
      - |
%s
      - |
%s
      requireRekorBundle: false
`, images, indentFile(t, aliceCert, 8), indentFile(t, bobCert, 8), indentFile(t, pki.Intermediate, 8), indentFile(t, pki.Root, 8))),
	}

	for _, variant := range []struct {
		name       string
		alice, bob signer
		policies   map[string]string
	}{
		{"keys", signer{key: "alice.key"}, signer{key: "bob.key"}, keyPolicies},
		{"certificates", signer{aliceKey, aliceCert}, signer{bobKey, bobCert}, certPolicies},
	} {
		t.Run(variant.name, func(t *testing.T) {
			sign := func(s signer, img string) {
				args := []string{"sign", "--key", s.key, img}
				if s.cert != "" {
					args = []string{"sign", "--key", s.key, "--certificate", s.cert, "--certificate-chain", pki.Chain, img}
				}
				w.env.MustRun(w.tollgate, args...)
			}
			_, onlyAlice := w.image("project-safety/" + variant.name + "-only-alice")
			_, both := w.image("project-safety/" + variant.name + "-both")
			_, twice := w.image("project-safety/" + variant.name + "-twice")
			sign(variant.alice, onlyAlice)
			sign(variant.alice, both)
			sign(variant.bob, both)
			sign(variant.alice, twice)
			sign(variant.alice, twice)
			for format, pol := range variant.policies {
				t.Run(format, func(t *testing.T) {
					wantCode(t, w.tg("policy", "lint", pol), 0)
					wantCode(t, w.tg("verify", "--policy", pol, onlyAlice), 1, "1 of 2 required signers signed")
					wantCode(t, w.tg("verify", "--policy", pol, twice), 1, "1 of 2 required signers signed")
					wantCode(t, w.tg("verify", "--policy", pol, both), 0)
				})
			}
		})
	}
}

// TestKyvernoCodeReview: the code-review ClusterPolicy of the Kyverno
// reference, as written there (with this registry and key), allows the
// reviewed image and denies one whose predicate breaks a condition.
func TestKyvernoCodeReview(t *testing.T) {
	w := newWorld(t)
	const reviewType = "https://example.com/CodeReview/v1"
	_, okImg := w.image("org/app-reviewed")
	_, badImg := w.image("org/app-unreviewed")
	w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--type", reviewType, "--predicate",
		w.write("good.json", `{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},"reviewers":["ana@example.com","bob@example.com"]}`), okImg)
	w.env.MustRun(w.tollgate, "attest", "--key", "cosign.key", "--format", "bundle", "--type", reviewType, "--predicate",
		w.write("bad.json", `{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},"reviewers":["mallory@example.com"]}`), badImg)
	pol := w.write("attest-code-review.yaml", fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: attest-code-review
spec:
  validationFailureAction: Enforce
  background: false
  webhookTimeoutSeconds: 30
  failurePolicy: Fail
  rules:
    - name: attest
      match:
        any:
        - resources:
            kinds:
              - Pod
      verifyImages:
      - imageReferences:
        - "%s/org/app*"
        attestations:
          - predicateType: %s
            attestors:
            - entries:
              - keys:
                  publicKeys: |-
%s
                  rekor: {ignoreTlog: true}
            conditions:
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
`, w.reg.Addr, reviewType, indentFile(t, w.env.Dir+"/cosign.pub", 20)))
	wantCode(t, w.tg("verify", "--policy", pol, okImg), 0)
	wantCode(t, w.tg("verify", "--policy", pol, badImg), 1, "reviewers", "AnyIn")
	r := w.tg("policy", "convert", pol)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "kind: Policy") || !strings.Contains(r.Stdout, "operator: AnyIn") {
		t.Errorf("policy convert output:\n%s", r.Stdout)
	}
	// The converted policy gives the same verdicts.
	conv := w.write("converted.yaml", r.Stdout)
	wantCode(t, w.tg("verify", "--policy", conv, okImg), 0)
	wantCode(t, w.tg("verify", "--policy", conv, badImg), 1, "reviewers")
}
