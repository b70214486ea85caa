package telephony

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Header names the caller identity is read from, in order of trust.
const (
	HeaderPAI  = "P-Asserted-Identity"
	HeaderRPID = "Remote-Party-ID"
	HeaderFrom = "From"
)

// IdentityHeaders are the raw values of the headers a caller's identity is
// read from. Empty strings mean the header was absent.
type IdentityHeaders struct {
	PAssertedIdentity string
	RemotePartyID     string
	From              string
	Privacy           string
}

// errNoIdentity is returned by parseNameAddr for a value with no usable URI.
var errNoIdentity = errors.New("no identity uri")

// CallerIdentity works out who is calling: P-Asserted-Identity first, then
// Remote-Party-ID (party=calling), then From. A header that does not parse
// is skipped. Withheld callers (anonymous@anonymous.invalid, Privacy: id,
// RPID privacy=full, a display name of "Anonymous" with no number) are
// marked Anonymous; a number the network asserted in P-Asserted-Identity is
// kept even then, because the desk is a trusted node, while a number from
// From or Remote-Party-ID of a withheld caller is dropped.
func CallerIdentity(h IdentityHeaders) Caller {
	privacy := privacyWithheld(h.Privacy)
	if c, err := ParseIdentity(h.PAssertedIdentity); err == nil {
		c.Source = HeaderPAI
		c.Anonymous = c.Anonymous || privacy
		if c.Anonymous && c.Number == "" {
			c.DisplayName = ""
		}
		return c
	}
	if c, params, err := parseIdentityParams(h.RemotePartyID); err == nil {
		party := strings.ToLower(paramValue(params, "party"))
		if party == "" || party == "calling" {
			c.Source = HeaderRPID
			switch strings.ToLower(paramValue(params, "privacy")) {
			case "full", "uri", "name", "yes":
				c.Anonymous = true
			}
			return withheld(c, privacy)
		}
	}
	c, err := ParseIdentity(h.From)
	if err != nil {
		return Caller{Source: HeaderFrom, Anonymous: privacy}
	}
	c.Source = HeaderFrom
	return withheld(c, privacy)
}

func withheld(c Caller, privacy bool) Caller {
	c.Anonymous = c.Anonymous || privacy
	if c.Anonymous {
		c.Number = ""
		c.DisplayName = ""
	}
	return c
}

// privacyWithheld reports whether a Privacy header (RFC 3323/3325) asks to
// withhold the caller's identity.
func privacyWithheld(v string) bool {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
		switch strings.ToLower(f) {
		case "id", "user", "header":
			return true
		}
	}
	return false
}

// ParseIdentity parses one identity header value (a name-addr or addr-spec
// as in From, P-Asserted-Identity or Remote-Party-ID; for a list, the first
// entry) into a Caller: the display name unquoted and unescaped, the URI,
// and the number taken from the user part of a sip:/sips: URI or the
// subscriber of a tel: URI. Source is left empty.
func ParseIdentity(value string) (Caller, error) {
	c, _, err := parseIdentityParams(value)
	return c, err
}

func parseIdentityParams(value string) (Caller, string, error) {
	display, uri, params, err := parseNameAddr(firstListEntry(value))
	if err != nil {
		return Caller{}, "", err
	}
	number, host, err := uriNumber(uri)
	if err != nil {
		return Caller{}, "", err
	}
	c := Caller{
		DisplayName: strings.ToValidUTF8(display, "\uFFFD"),
		URI:         strings.ToValidUTF8(uri, "\uFFFD"),
		Number:      number,
	}
	lowerUser := strings.ToLower(number)
	if lowerUser == "anonymous" || strings.EqualFold(host, "anonymous.invalid") ||
		(strings.EqualFold(strings.TrimSpace(c.DisplayName), "anonymous") && !hasDigit(number)) {
		c.Anonymous = true
		c.Number = ""
	}
	return c, params, nil
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// firstListEntry cuts a comma-separated header list at the first comma that
// is outside a quoted string and outside <>.
func firstListEntry(v string) string {
	inQuote, escaped, inAngle := false, false, false
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && ch == '\\':
			escaped = true
		case ch == '"':
			inQuote = !inQuote
		case inQuote:
		case ch == '<':
			inAngle = true
		case ch == '>':
			inAngle = false
		case ch == ',' && !inAngle:
			return v[:i]
		}
	}
	return v
}

// parseNameAddr splits `"Display" <uri>;params`, `Display <uri>` or
// `uri;params` into its parts. Quoted display names lose their quotes and
// backslash escapes.
func parseNameAddr(v string) (display, uri, params string, err error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return "", "", "", errNoIdentity
	}
	if s[0] == '"' {
		var b strings.Builder
		i := 1
		closed := false
		for i < len(s) {
			ch := s[i]
			if ch == '\\' && i+1 < len(s) {
				b.WriteByte(s[i+1])
				i += 2
				continue
			}
			if ch == '"' {
				closed = true
				i++
				break
			}
			b.WriteByte(ch)
			i++
		}
		if !closed {
			return "", "", "", errors.New("unterminated quoted display name")
		}
		display = b.String()
		s = strings.TrimSpace(s[i:])
		if s == "" || s[0] != '<' {
			return "", "", "", errors.New("display name without <uri>")
		}
	}
	if lt := strings.IndexByte(s, '<'); lt >= 0 {
		if display == "" {
			display = strings.Join(strings.Fields(s[:lt]), " ")
		}
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			return "", "", "", errors.New("unterminated <uri>")
		}
		uri = strings.TrimSpace(s[lt+1 : lt+gt])
		params = s[lt+gt+1:]
	} else {
		uri, params, _ = strings.Cut(s, ";")
		uri = strings.TrimSpace(uri)
		if params != "" {
			params = ";" + params
		}
	}
	if uri == "" {
		return "", "", "", errNoIdentity
	}
	return display, uri, params, nil
}

// paramValue finds name in a ";a=b;c" header parameter string.
func paramValue(params, name string) string {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// uriNumber returns the user (the number, for a phone) and host of a sip:,
// sips: or tel: URI.
func uriNumber(uri string) (number, host string, err error) {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return "", "", errors.New("uri without scheme")
	}
	switch strings.ToLower(scheme) {
	case "tel":
		sub, _, _ := strings.Cut(rest, ";")
		sub = strings.Map(func(r rune) rune {
			switch r {
			case '-', '.', '(', ')', ' ':
				return -1
			}
			return r
		}, sub)
		return unescape(sub), "", nil
	case "sip", "sips":
		rest, _, _ = strings.Cut(rest, "?")
		userinfo, hostport, found := strings.Cut(rest, "@")
		if !found {
			hostport, userinfo = userinfo, ""
		}
		user, _, _ := strings.Cut(userinfo, ";")
		user, _, _ = strings.Cut(user, ":")
		h, _, _ := strings.Cut(hostport, ";")
		if h == "" {
			return "", "", errors.New("sip uri without host")
		}
		return unescape(user), h, nil
	default:
		return "", "", errors.New("unsupported uri scheme " + strings.ToValidUTF8(scheme, ""))
	}
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil && utf8.ValidString(u) {
		return u
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
