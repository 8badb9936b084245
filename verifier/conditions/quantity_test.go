package conditions

import (
	"strings"
	"testing"
)

// TestParseQuantity: values checked against k8s.io/apimachinery v0.34.1's
// resource.ParseQuantity and Quantity.Cmp.
func TestParseQuantity(t *testing.T) {
	tests := []struct {
		s     string
		ok    bool
		equal string // a quantity with the same value
	}{
		{"0", true, "0"},
		{"1", true, "1000m"},
		{"1.5Gi", true, "1536Mi"},
		{"500m", true, "0.5"},
		{"1k", true, "1000"},
		{"1e3", true, "1k"},
		{"1E3", true, "1k"},
		{"1E", true, "1e18"}, // exa, not an exponent
		{"1e+3", true, "1000"},
		{"-1.5n", true, "-2n"},       // rounded away from zero to nano units
		{"0.0000000001", true, "1n"}, // likewise
		{"1.0000000001", true, "1000000001n"},
		{"9Ei", true, "9223372036854775807"}, // binary quantities are capped
		{"+5", true, "5"},
		{"-0", true, "0"},
		{".5", true, "500m"},
		{"1.", true, "1"},
		{".", true, "0"}, // apimachinery's fast path
		{"-", true, "0"},
		{"m", true, "0"},
		{".Ti", true, "0"},
		{".Pi", false, ""}, // its slow path
		{".e-10", false, ""},
		{"", false, ""},
		{"1e", false, ""},
		{"1Ki5", false, ""},
		{"1 ", false, ""},
		{"1.4.2", false, ""},
		{"main", false, ""},
		{"v1", false, ""},
		{"1x", false, ""},
		{"1e99999999999999999999", false, ""},
	}
	for _, tc := range tests {
		q, ok, err := parseQuantity(tc.s)
		if err != nil || ok != tc.ok {
			t.Errorf("parseQuantity(%q) = %v, %v, want %v", tc.s, ok, err, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		e, _, _ := parseQuantity(tc.equal)
		if q.cmp(e) != 0 {
			t.Errorf("parseQuantity(%q) = %v×10^%d, want the value of %q", tc.s, q.coef, q.exp, tc.equal)
		}
	}
}

func TestParseQuantityTooLarge(t *testing.T) {
	for _, s := range []string{"1e10001", "1e-10001", strings.Repeat("9", 1001), "0." + strings.Repeat("1", 1001), "020000e2200000000"} {
		if _, _, err := parseQuantity(s); err != errQuantityTooLarge {
			t.Errorf("parseQuantity(%.20q) error = %v, want %v", s, err, errQuantityTooLarge)
		}
	}
}
