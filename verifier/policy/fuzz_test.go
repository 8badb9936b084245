package policy_test

import (
	"testing"

	"github.com/tollgate-dev/tollgate/verifier/policy"
)

// FuzzParse: policy bytes never panic or hang; what loads has a policy.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec:\n  images: ['*']\n  signers:\n  - entries:\n    - key: {pem: x}\n"))
	f.Add([]byte("apiVersion: tollgate.dev/v1alpha1\nkind: PolicySet\nmetadata: {name: s}\nspec: {uncoveredImages: Allow}\n---\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Add([]byte("{\"apiVersion\":\"kyverno.io/v1\",\"kind\":\"ClusterPolicy\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, _, err := policy.Parse(b, "fuzz.yaml", "/nonexistent")
		if err == nil && len(set.Policies()) == 0 {
			t.Fatal("Parse succeeded without a policy")
		}
	})
}
