package evidence_test

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tollgate-dev/tollgate/evidence"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    evidence.Format
		wantErr bool
	}{
		{in: "legacy", want: evidence.FormatLegacy},
		{in: "bundle", want: evidence.FormatBundle},
		{in: "LEGACY", want: evidence.FormatLegacy},
		{in: "Bundle", want: evidence.FormatBundle},
		{in: "", wantErr: true},
		{in: " legacy", wantErr: true},
		{in: "legacy ", wantErr: true},
		{in: "sigstore-bundle", wantErr: true},
		{in: "oci", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := evidence.ParseFormat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseFormat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseFormat(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDefaultFormat pins the documented default (see docs/formats.md).
func TestDefaultFormat(t *testing.T) {
	if evidence.DefaultFormat != evidence.FormatLegacy {
		t.Errorf("DefaultFormat = %q, want %q", evidence.DefaultFormat, evidence.FormatLegacy)
	}
	for _, f := range []evidence.Format{evidence.FormatLegacy, evidence.FormatBundle, evidence.DefaultFormat} {
		got, err := evidence.ParseFormat(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v, want %q, nil", f, got, err, f)
		}
	}
}

func TestTags(t *testing.T) {
	const hex = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	d, err := v1.NewHash("sha256:" + hex)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   func(v1.Hash) string
		want string
	}{
		{name: "SignatureTag", fn: evidence.SignatureTag, want: "sha256-" + hex + ".sig"},
		{name: "AttestationTag", fn: evidence.AttestationTag, want: "sha256-" + hex + ".att"},
		{name: "ReferrersTag", fn: evidence.ReferrersTag, want: "sha256-" + hex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.fn(d)
			if got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.name, d, got, tt.want)
			}
			// A tag is at most 128 characters of [A-Za-z0-9_.-].
			if len(got) > 128 {
				t.Errorf("%s(%q) is %d characters, longer than a tag may be", tt.name, d, len(got))
			}
			for _, c := range got {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
					t.Errorf("%s(%q) = %q holds %q, not allowed in a tag", tt.name, d, got, c)
				}
			}
		})
	}
}
