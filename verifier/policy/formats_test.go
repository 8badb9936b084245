package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/verifier/policy"
)

func kyvernoAliceAndBob(alice, bob person) string {
	return fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: project-safety
spec:
  validationFailureAction: Enforce
  rules:
  - name: alice-and-bob
    match:
      any:
      - resources:
          kinds: [Pod]
    verifyImages:
    - imageReferences: ["registry.example.com/project-safety/*"]
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
`, indent(alice.pub, 14), indent(bob.pub, 14))
}

func kubewardenAliceAndBob(alice, bob person) string {
	return fmt.Sprintf(`apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata:
  name: verify-image-signatures
spec:
  module: ghcr.io/kubewarden/policies/verify-image-signatures:v0.1.7
  rules:
  - apiGroups: ["", "apps", "batch"]
    apiVersions: ["v1"]
    resources: ["pods", "deployments"]
    operations: [CREATE, UPDATE]
  mutating: true
  settings:
    signatures:
    - image: "registry.example.com/project-safety/*"
      pubKeys:
      - |
%s
      - |
%s
`, indent(alice.pub, 8), indent(bob.pub, 8))
}

// TestSameVerdictsInEveryFormat: the Alice-and-Bob policy written as a
// tollgate Policy, a Kyverno ClusterPolicy and a Kubewarden
// ClusterAdmissionPolicy gives the same verdict for every case.
func TestSameVerdictsInEveryFormat(t *testing.T) {
	alice, bob := newPerson(t, "alice"), newPerson(t, "bob")
	formats := map[string]string{
		"tollgate":   aliceAndBob(alice, bob),
		"kyverno":    kyvernoAliceAndBob(alice, bob),
		"kubewarden": kubewardenAliceAndBob(alice, bob),
	}
	h, _ := v1.NewHash(digestA)
	cases := []struct {
		name    string
		image   string
		sigs    []evidence.Signature
		allowed bool
	}{
		{"only alice", "registry.example.com/project-safety/app:v1", []evidence.Signature{alice.sign(t, digestA, nil)}, false},
		{"alice twice", "registry.example.com/project-safety/app:v1", []evidence.Signature{alice.sign(t, digestA, nil), alice.sign(t, digestA, nil)}, false},
		{"alice and bob", "registry.example.com/project-safety/app:v1", []evidence.Signature{alice.sign(t, digestA, nil), bob.sign(t, digestA, nil)}, true},
		{"nobody", "registry.example.com/project-safety/app:v1", nil, false},
		{"not covered", "registry.example.com/other/app:v1", []evidence.Signature{alice.sign(t, digestA, nil), bob.sign(t, digestA, nil)}, false},
	}
	for fname, doc := range formats {
		set, warnings, err := policy.Parse([]byte(doc), fname+".yaml", t.TempDir())
		if err != nil {
			t.Fatalf("%s: Parse() error = %v", fname, err)
		}
		if fname == "kubewarden" && !strings.Contains(strings.Join(warnings, " "), "select Kubernetes resources") {
			t.Errorf("kubewarden: no warning about spec.rules: %v", warnings)
		}
		for _, c := range cases {
			d := set.NewRun(time.Now).Evaluate(c.image, h, policy.Evidence{Signatures: c.sigs})
			if d.Allowed != c.allowed {
				t.Errorf("%s, %s: allowed = %v, want %v (%v)", fname, c.name, d.Allowed, c.allowed, d.Reasons)
			}
		}
	}
}

// TestKyvernoTlogByDefault: a Kyverno key attestor without rekor.ignoreTlog
// requires a transparency log entry (cosign 2 semantics), so the gate
// denies, saying how to opt out.
func TestKyvernoTlogByDefault(t *testing.T) {
	alice := newPerson(t, "alice")
	doc := strings.ReplaceAll(kyvernoAliceAndBob(alice, alice), "            rekor: {ignoreTlog: true}\n", "")
	doc = strings.Replace(doc, "count: 2", "count: 1", 1)
	doc = doc[:strings.LastIndex(doc, "        - keys:")]
	set, _, err := policy.Parse([]byte(doc), "k.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(digestA)
	d := set.NewRun(time.Now).Evaluate("registry.example.com/project-safety/app:v1", h, policy.Evidence{Signatures: []evidence.Signature{alice.sign(t, digestA, nil)}})
	if d.Allowed || !strings.Contains(strings.Join(d.Reasons, " "), "rekor.ignoreTlog: true") {
		t.Errorf("Evaluate() = %v %v, want a denial naming rekor.ignoreTlog", d.Allowed, d.Reasons)
	}
}
