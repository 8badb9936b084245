package policy

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// pattern is an image glob: * matches any run of characters (slashes
// included) and ? one character, as in Kyverno and Kubewarden.
type pattern string

func compilePattern(s string) (pattern, error) {
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("empty image pattern")
	}
	if strings.ContainsAny(s, " \t\n") {
		return "", fmt.Errorf("image pattern %q contains whitespace", s)
	}
	return pattern(s), nil
}

// matches reports whether the image reference, as written or fully
// qualified, matches the pattern.
func (p pattern) matches(image string) bool {
	for _, form := range imageForms(image) {
		if glob(string(p), form) {
			return true
		}
	}
	return false
}

// imageForms returns the reference as written and its fully qualified form
// (index.docker.io/library/nginx:latest for nginx), and the docker.io
// spelling that policies commonly use.
func imageForms(image string) []string {
	forms := []string{image}
	ref, err := name.ParseReference(image, name.WeakValidation)
	if err != nil {
		return forms
	}
	full := ref.Name()
	if _, ok := ref.(name.Tag); ok && !strings.Contains(image, "@") {
		full = ref.Context().Name() + ":" + ref.Identifier()
	}
	forms = append(forms, full)
	if strings.HasPrefix(full, name.DefaultRegistry+"/") {
		forms = append(forms, "docker.io/"+strings.TrimPrefix(full, name.DefaultRegistry+"/"))
	}
	return forms
}

// glob matches s against a pattern of * and ? wildcards, iteratively (no
// backtracking blow-up).
func glob(p, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
