package conditions

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Kubernetes resource quantities ("500m", "1.5Gi", "1e3"), which Kyverno's
// operators compare by value. This is k8s.io/apimachinery's
// resource.ParseQuantity and Quantity.Cmp (pkg/api/resource/quantity.go,
// suffix.go), reimplemented to avoid the dependency and to bound the work
// an untrusted string can cause.

// Bounds on the quantities parsed. Beyond them a string that is a
// quantity cannot be compared, and the condition fails.
const (
	maxQuantityDigits   = 1000
	maxQuantityExponent = 10000
)

var errQuantityTooLarge = errors.New("a resource quantity too large to compare")

// quantity is the value coef × 10^exp.
type quantity struct {
	coef *big.Int
	exp  int64
}

// parseQuantity reports whether s is a quantity, and its value. err is
// set when s is a quantity beyond the bounds above.
func parseQuantity(s string) (quantity, bool, error) {
	if s == "" {
		return quantity{}, false, nil
	}
	if s == "0" {
		return quantity{coef: new(big.Int)}, true, nil
	}
	positive, value, num, denom, suffix, ok := parseQuantityString(s)
	if !ok {
		return quantity{}, false, nil
	}
	base, exponent, binary, ok := interpretSuffix(suffix)
	if !ok {
		return quantity{}, false, nil
	}
	if exponent > maxQuantityExponent || exponent < -maxQuantityExponent || len(num)+len(denom) > maxQuantityDigits {
		return quantity{}, false, errQuantityTooLarge
	}
	if !strings.ContainsAny(value, "0123456789") {
		// Only apimachinery's int64 fast path accepts a number without
		// digits ("." is 0); its slow path rejects it.
		precision := int64(18 - len(num) - len(denom))
		if binary {
			precision = int64(15-len(num)) - int64(float32(exponent)*3/10) - 1
			if exponent < 0 || len(denom) != 0 {
				precision = -1
			}
		}
		scale := -int64(len(denom))
		if !binary {
			scale += exponent
		}
		if precision < 0 || scale < -9 {
			return quantity{}, false, nil
		}
	}
	coef, ok := new(big.Int).SetString(num+denom, 10)
	if !ok {
		coef = new(big.Int)
	}
	exp := -int64(len(denom))
	if base == 10 {
		exp += exponent
	} else {
		coef.Lsh(coef, uint(exponent))
	}
	// Round away from zero to a multiple of 10^-9, apimachinery's smallest
	// unit, and cap binary quantities at the largest int64.
	if coef.Sign() != 0 && exp < -9 {
		div := pow10(-9 - exp)
		q, r := new(big.Int).QuoRem(coef, div, new(big.Int))
		if r.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
		coef, exp = q, -9
	}
	if base == 2 {
		limit := new(big.Int).Mul(big.NewInt(math.MaxInt64), pow10(-exp))
		if coef.Cmp(limit) > 0 {
			coef, exp = big.NewInt(math.MaxInt64), 0
		}
	}
	if coef.Sign() == 0 {
		exp = 0
	}
	if !positive {
		coef.Neg(coef)
	}
	return quantity{coef: coef, exp: exp}, true, nil
}

func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// cmp returns -1, 0 or 1 as q is less than, equal to or greater than o.
func (q quantity) cmp(o quantity) int {
	if q.exp == o.exp {
		return q.coef.Cmp(o.coef)
	}
	if q.exp > o.exp {
		a := new(big.Int).Mul(q.coef, pow10(q.exp-o.exp))
		return a.Cmp(o.coef)
	}
	b := new(big.Int).Mul(o.coef, pow10(o.exp-q.exp))
	return q.coef.Cmp(b)
}

// parseQuantityString is apimachinery's: a sign, digits, an optional
// fraction, and a suffix of letters, optionally signed digits.
func parseQuantityString(str string) (positive bool, value, num, denom, suffix string, ok bool) {
	positive = true
	pos := 0
	end := len(str)
	if pos < end {
		switch str[0] {
		case '-':
			positive = false
			pos++
		case '+':
			pos++
		}
	}
	// leading zeros
	for i := pos; ; i++ {
		if i >= end {
			return positive, "0", "0", "", "", true
		}
		if str[i] != '0' {
			break
		}
		pos++
	}
	// numerator
	i := pos
	for i < end && isDigit(str[i]) {
		i++
	}
	num = str[pos:i]
	if i >= end {
		return positive, str, num, "", "", true
	}
	pos = i
	if num == "" {
		num = "0"
	}
	// fraction
	if str[pos] == '.' {
		pos++
		i := pos
		for i < end && isDigit(str[i]) {
			i++
		}
		denom = str[pos:i]
		if i >= end {
			return positive, str, num, denom, "", true
		}
		pos = i
	}
	value = str[:pos]
	// suffix
	suffixStart := pos
	for i := pos; ; i++ {
		if i >= end {
			return positive, value, num, denom, str[suffixStart:], true
		}
		if !strings.ContainsRune("eEinumkKMGTP", rune(str[i])) {
			pos = i
			break
		}
	}
	if pos < end && (str[pos] == '-' || str[pos] == '+') {
		pos++
	}
	for i := pos; ; i++ {
		if i >= end {
			return positive, value, num, denom, str[suffixStart:], true
		}
		if !isDigit(str[i]) {
			return false, "", "", "", "", false
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// interpretSuffix is apimachinery's suffixer: decimal SI suffixes, binary
// SI suffixes, or a decimal exponent (e3, E-2).
func interpretSuffix(s string) (base int, exponent int64, binary, ok bool) {
	switch s {
	case "":
		return 10, 0, false, true
	case "n":
		return 10, -9, false, true
	case "u":
		return 10, -6, false, true
	case "m":
		return 10, -3, false, true
	case "k":
		return 10, 3, false, true
	case "M":
		return 10, 6, false, true
	case "G":
		return 10, 9, false, true
	case "T":
		return 10, 12, false, true
	case "P":
		return 10, 15, false, true
	case "E":
		return 10, 18, false, true
	case "Ki":
		return 2, 10, true, true
	case "Mi":
		return 2, 20, true, true
	case "Gi":
		return 2, 30, true, true
	case "Ti":
		return 2, 40, true, true
	case "Pi":
		return 2, 50, true, true
	case "Ei":
		return 2, 60, true, true
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		e, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return 0, 0, false, false
		}
		return 10, e, false, true
	}
	return 0, 0, false, false
}
