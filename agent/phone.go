package agent

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for numbers written without a
// country code.
const DefaultRegion = "CN"

// ErrBadPhone is returned (wrapped) by NormalizePhone when the text is not a
// phone number.
var ErrBadPhone = errors.New("not a phone number")

// NormalizePhone returns the form a number is stored and indexed under:
// E.164 (+8613800138000) for mobile and landline numbers, and the national
// digits for Chinese 400/800 service numbers, which have no E.164 form that
// callers recognise. Spaces, dashes, dots and brackets are ignored, and the
// international prefixes 00 and + are both understood.
func NormalizePhone(s string) (string, error) {
	raw := strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits typed with a CJK IME
			b.WriteRune('0' + (r - '０'))
		case r == '+' && i == 0, r == '＋' && i == 0:
			b.WriteByte('+')
		case r == ' ', r == '-', r == '.', r == '(', r == ')', r == '（', r == '）', r == '－', r == '\u3000', r == '\t':
		default:
			if unicode.IsPrint(r) {
				return "", fmt.Errorf("%w: %q has %q", ErrBadPhone, s, r)
			}
			return "", fmt.Errorf("%w: %q", ErrBadPhone, s)
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d = "+" + d[2:]
	}
	digits := strings.TrimPrefix(d, "+")
	if len(digits) < 3 || len(digits) > 17 {
		return "", fmt.Errorf("%w: %q has %d digits", ErrBadPhone, s, len(digits))
	}
	// 400/800 service numbers: national form, with or without the +86.
	national := strings.TrimPrefix(d, "+86")
	if len(national) == 10 && (strings.HasPrefix(national, "400") || strings.HasPrefix(national, "800")) {
		return national, nil
	}
	if m, ok := cnMobile(national); ok {
		return m, nil
	}
	if m, ok := cnLandline(d); ok {
		return serviceNational(m), nil
	}
	// Short codes (110, 95588, 12345…) are kept as dialled.
	if !strings.HasPrefix(d, "+") && len(d) <= 6 {
		return d, nil
	}
	num, err := phonenumbers.Parse(d, DefaultRegion)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadPhone, s, err)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return "", fmt.Errorf("%w: %q is not a possible number", ErrBadPhone, s)
	}
	out := phonenumbers.Format(num, phonenumbers.E164)
	// Some texts (a trunk 0 after the country code: "+86 0…") read as one
	// number but print as another; such a number has no stable stored form.
	if again, err := phonenumbers.Parse(out, DefaultRegion); err != nil || phonenumbers.Format(again, phonenumbers.E164) != out {
		return "", fmt.Errorf("%w: %q is not a stable number", ErrBadPhone, s)
	}
	return serviceNational(out), nil
}

// serviceNational turns +86 400/800 numbers reached another way ("0400…")
// into the national form they are stored under.
func serviceNational(e164 string) string {
	if n := strings.TrimPrefix(e164, "+86"); len(n) == 10 && (strings.HasPrefix(n, "400") || strings.HasPrefix(n, "800")) {
		return n
	}
	return e164
}

// cnMobile is a fast path for the commonest number, a mainland mobile
// (1[3-9]x xxxx xxxx, 11 digits, written with or without +86): its E.164 form
// is +86 and the digits, exactly what phonenumbers answers, about 50 times
// faster (the library runs several regular expressions per number, which
// dominates a million-row import). Prefixes CN uses for carrier selection
// when dialling (11x, 12x, 179xx) are left to the library.
func cnMobile(national string) (string, bool) {
	if len(national) != 11 || national[0] != '1' || national[1] < '3' || (national[1] == '7' && national[2] == '9') {
		return "", false
	}
	for i := 0; i < len(national); i++ {
		if national[i] < '0' || national[i] > '9' {
			return "", false
		}
	}
	return "+86" + national, true
}

// cnLandline is the fast path for mainland landlines with their area code,
// written 0AA… or +86 AA… (area code 10 or 2x, or three digits 3xx–9xx; ten
// or eleven digits after the trunk 0): +86 and the digits, what phonenumbers
// answers (checked by TestCNLandlineFastPath) at a fraction of the cost.
func cnLandline(d string) (string, bool) {
	var nsn string
	switch {
	case strings.HasPrefix(d, "+86"):
		nsn = d[3:]
	case strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
		nsn = d[1:]
	default:
		return "", false
	}
	if len(nsn) != 10 && len(nsn) != 11 {
		return "", false
	}
	if nsn[0] < '2' && !strings.HasPrefix(nsn, "10") {
		return "", false
	}
	for i := 0; i < len(nsn); i++ {
		if nsn[i] < '0' || nsn[i] > '9' {
			return "", false
		}
	}
	return "+86" + nsn, true
}

// AreaOf is where a number is registered, as the telephone network says
// (a city or province: 上海市, 广东省深圳市; for English, Shanghai), or ""
// when it cannot be derived (a 400/800 number, a withheld caller). lang is
// "zh" or "en".
func AreaOf(number, lang string) string {
	n, err := NormalizePhone(number)
	if err != nil || !strings.HasPrefix(n, "+") {
		return ""
	}
	p, err := phonenumbers.Parse(n, DefaultRegion)
	if err != nil {
		return ""
	}
	if lang != "en" {
		lang = "zh"
	}
	area, err := phonenumbers.GetGeocodingForNumber(p, lang)
	if err != nil {
		return ""
	}
	return area
}
