package upstream

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"agentdesk/agent"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"
)

// MaskNumber hides the middle of a phone number for the board: the first 3
// and last 4 digits of the national number stay, the rest become '*'
// (+8613800138000, 13800138000 and 138-0013-8000 all give 138****8000).
// A number of another country keeps its country code in front (+44
// 207****958). Shorter numbers keep less, and at least 4 digits (all of a
// number under 4 digits) are always hidden: with n digits, the first
// min(3, (n-4)/2) and the last min(4, n-4-first) stay (010-62345678 gives
// 106****678, 62345678 gives 62****78, 95588 gives ****8). Text that is
// not a phone number keeps its words and has every run of 3 or more
// digits masked the same way (sip:8613800138000@pbx); text without digits
// ("anonymous") is returned as it is.
func MaskNumber(s string) string {
	if s == "" || !strings.ContainsAny(s, "0123456789０１２３４５６７８９") {
		return s
	}
	e164, err := agent.NormalizePhone(s)
	if err != nil {
		if d, ok := onlyDigits(s); ok {
			return maskDigits(d) // too short or long for a number, masked all the same
		}
		return MaskText(s, 3)
	}
	if !strings.HasPrefix(e164, "+") {
		return maskDigits(e164) // short codes, 400/800 numbers: national already
	}
	if strings.HasPrefix(e164, "+86") {
		return maskDigits(e164[3:])
	}
	num, err := phonenumbers.Parse(e164, agent.DefaultRegion)
	if err != nil {
		return "+" + maskDigits(e164[1:])
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	return "+" + itoa(int(num.GetCountryCode())) + " " + maskDigits(nsn)
}

// onlyDigits returns the digits of s when s holds nothing but digits and
// the punctuation numbers are written with.
func onlyDigits(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case strings.ContainsRune("+ -.()（）", r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// maskDigits masks a string of n ASCII digits as MaskNumber says.
func maskDigits(d string) string {
	n := len(d)
	head := min(3, max(0, (n-4)/2))
	tail := min(4, max(0, n-4-head))
	return d[:head] + strings.Repeat("*", n-head-tail) + d[n-tail:]
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// numberRun is a run of digits that may be a phone number inside text: an
// optional +, digits, and single spaces or dashes between digits.
var numberRun = regexp.MustCompile(`\+?[0-9](?:[ \-]?[0-9])*`)

// MaskText masks every phone-like run of at least minDigits digits in
// free text (an alert's summary, a SIP URI) with MaskNumber, leaving the
// words around it.
func MaskText(s string, minDigits int) string {
	return numberRun.ReplaceAllStringFunc(s, func(run string) string {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, run)
		if len(digits) < minDigits {
			return run
		}
		if m, err := agent.NormalizePhone(run); err == nil && m != "" {
			return MaskNumber(run)
		}
		return maskDigits(digits)
	})
}

// textDigits is how long a digit run in an alert's text must be to be
// taken for a phone number (a complaint's amounts and dates are shorter).
const textDigits = 7

// MaskBoard returns b with every phone number masked: the callers of its
// calls, and numbers written in the text of its alerts (every string in
// the alert's JSON but IDs and instants, and the note read from it). b
// itself is not changed.
func MaskBoard(b Board) Board {
	out := b
	out.Calls = slices.Clone(b.Calls)
	for i := range out.Calls {
		out.Calls[i].Caller = MaskNumber(out.Calls[i].Caller)
	}
	out.Alerts = slices.Clone(b.Alerts)
	for i := range out.Alerts {
		out.Alerts[i].Body = maskJSON(out.Alerts[i].Body)
		out.Alerts[i].Note = MaskText(out.Alerts[i].Note, textDigits)
	}
	return out
}

// structured reports whether s is a record ID (a UUID) or an instant
// (RFC 3339): their digits are no phone number.
func structured(s string) bool {
	if _, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// maskJSON masks phone numbers in every string of a JSON document; a
// document that does not decode is replaced by null (it cannot be
// checked, so it is not shown).
func maskJSON(doc json.RawMessage) json.RawMessage {
	if len(doc) == 0 {
		return doc
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(maskValue(v))
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func maskValue(v any) any {
	switch x := v.(type) {
	case string:
		if structured(x) {
			return x
		}
		return MaskText(x, textDigits)
	case []any:
		for i := range x {
			x[i] = maskValue(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = maskValue(e)
		}
	}
	return v
}

// WallBoard is b as a wallboard shows it on the floor: numbers masked
// (MaskBoard), and nothing of monitoring (whether an agent may know a
// supervisor is listening is the center's show_monitoring, which a
// screen on the wall must not undo).
func WallBoard(b Board) Board {
	out := MaskBoard(b)
	out.Monitors = []MonitorSession{}
	out.Floor.Monitoring = 0
	return out
}
