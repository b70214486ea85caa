package telephony

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCallerIdentity(t *testing.T) {
	tests := map[string]struct {
		in   IdentityHeaders
		want Caller
	}{
		"PAI wins over RPID and From": {
			in: IdentityHeaders{
				PAssertedIdentity: `"王小明" <sip:+8613800138000@pbx.example.com;user=phone>`,
				RemotePartyID:     `"Other" <sip:111@pbx>;party=calling`,
				From:              `"From" <sip:222@pbx>;tag=1`,
			},
			want: Caller{Number: "+8613800138000", DisplayName: "王小明", URI: "sip:+8613800138000@pbx.example.com;user=phone", Source: HeaderPAI},
		},
		"PAI list: first entry": {
			in:   IdentityHeaders{PAssertedIdentity: `<sip:+861012345678@pbx>, <tel:+861012345678>`},
			want: Caller{Number: "+861012345678", URI: "sip:+861012345678@pbx", Source: HeaderPAI},
		},
		"RPID when no PAI": {
			in:   IdentityHeaders{RemotePartyID: `"李四" <sip:02087654321@pbx>;party=calling;screen=yes;privacy=off`, From: `<sip:222@pbx>`},
			want: Caller{Number: "02087654321", DisplayName: "李四", URI: "sip:02087654321@pbx", Source: HeaderRPID},
		},
		"RPID of the called party is ignored": {
			in:   IdentityHeaders{RemotePartyID: `<sip:999@pbx>;party=called`, From: `<sip:222@pbx>;tag=x`},
			want: Caller{Number: "222", URI: "sip:222@pbx", Source: HeaderFrom},
		},
		"RPID privacy=full": {
			in:   IdentityHeaders{RemotePartyID: `"Hidden" <sip:333@pbx>;party=calling;privacy=full`},
			want: Caller{URI: "sip:333@pbx", Source: HeaderRPID, Anonymous: true},
		},
		"unparsable PAI falls back": {
			in:   IdentityHeaders{PAssertedIdentity: `"unterminated <sip:1@x>`, From: `sip:444@pbx;tag=9`},
			want: Caller{Number: "444", URI: "sip:444@pbx", Source: HeaderFrom},
		},
		"tel URI with visual separators": {
			in:   IdentityHeaders{From: `"陈" <tel:+86-10-1234-5678;phone-context=+86>`},
			want: Caller{Number: "+861012345678", DisplayName: "陈", URI: "tel:+86-10-1234-5678;phone-context=+86", Source: HeaderFrom},
		},
		"sips URI and escaped quotes": {
			in:   IdentityHeaders{From: `"张 \"三\" \\ 先生" <sips:8001@secure.pbx:5061;transport=tls>;tag=abc`},
			want: Caller{Number: "8001", DisplayName: `张 "三" \ 先生`, URI: "sips:8001@secure.pbx:5061;transport=tls", Source: HeaderFrom},
		},
		"unquoted display name": {
			in:   IdentityHeaders{From: `Bob  Smith <sip:bob@pbx>`},
			want: Caller{Number: "bob", DisplayName: "Bob Smith", URI: "sip:bob@pbx", Source: HeaderFrom},
		},
		"percent-encoded user": {
			in:   IdentityHeaders{From: `<sip:%2B8613800138000@pbx>`},
			want: Caller{Number: "+8613800138000", URI: "sip:%2B8613800138000@pbx", Source: HeaderFrom},
		},
		"anonymous.invalid": {
			in:   IdentityHeaders{From: `"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1`},
			want: Caller{URI: "sip:anonymous@anonymous.invalid", Source: HeaderFrom, Anonymous: true},
		},
		"Privacy: id hides the From number": {
			in:   IdentityHeaders{From: `"Alice" <sip:13800138000@pbx>`, Privacy: "id"},
			want: Caller{URI: "sip:13800138000@pbx", Source: HeaderFrom, Anonymous: true},
		},
		"Privacy: id keeps the asserted number": {
			in:   IdentityHeaders{PAssertedIdentity: `<sip:13800138000@pbx>`, Privacy: "id;critical"},
			want: Caller{Number: "13800138000", URI: "sip:13800138000@pbx", Source: HeaderPAI, Anonymous: true},
		},
		"display name Anonymous with no number": {
			in:   IdentityHeaders{From: `"Anonymous" <sip:restricted@pbx>`},
			want: Caller{URI: "sip:restricted@pbx", Source: HeaderFrom, Anonymous: true},
		},
		"nothing usable": {
			in:   IdentityHeaders{From: "garbage"},
			want: Caller{Source: HeaderFrom},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CallerIdentity(tc.in); got != tc.want {
				t.Errorf("CallerIdentity(%+v)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzCallerIdentity(f *testing.F) {
	for _, s := range []string{
		`"王小明" <sip:+8613800138000@pbx;user=phone>`,
		`<tel:+86-10-1234-5678>`,
		`"a \"b\"" <sips:1@h>;tag=x`,
		`sip:anonymous@anonymous.invalid;tag=1`,
		`<sip:1@h>;party=calling;privacy=full`,
		`"unterminated`, `<`, `"x" <`, `sip:@`, "\xff\xfe<sip:\xff@h>",
	} {
		f.Add(s, s, s, "id")
	}
	f.Fuzz(func(t *testing.T, pai, rpid, from, privacy string) {
		c := CallerIdentity(IdentityHeaders{PAssertedIdentity: pai, RemotePartyID: rpid, From: from, Privacy: privacy})
		switch c.Source {
		case HeaderPAI, HeaderRPID, HeaderFrom:
		default:
			t.Fatalf("source %q", c.Source)
		}
		if !utf8.ValidString(c.DisplayName) || !utf8.ValidString(c.URI) || !utf8.ValidString(c.Number) {
			t.Fatalf("invalid utf-8 in %+v", c)
		}
		if c.Number != "" && c.URI == "" {
			t.Fatalf("number without uri: %+v", c)
		}
		if c.Anonymous && c.Source != HeaderPAI && (c.Number != "" || c.DisplayName != "") {
			t.Fatalf("withheld caller leaks identity: %+v", c)
		}
		// Each header on its own must parse the same way every time.
		a, errA := ParseIdentity(from)
		b, errB := ParseIdentity(from)
		if a != b || (errA == nil) != (errB == nil) {
			t.Fatalf("ParseIdentity not deterministic for %q", from)
		}
	})
}

func ExampleParseIdentity() {
	c, err := ParseIdentity(`"王小明" <sip:+8613800138000@pbx.example.com;user=phone>;tag=8f2`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.DisplayName, c.Number)
	// Output: 王小明 +8613800138000
}

func ExampleCallerIdentity() {
	c := CallerIdentity(IdentityHeaders{
		PAssertedIdentity: `<tel:+86-10-1234-5678>`,
		From:              `"Front desk" <sip:8001@pbx>;tag=1`,
	})
	fmt.Println(c.Number, c.Source)
	c = CallerIdentity(IdentityHeaders{From: `"Anonymous" <sip:anonymous@anonymous.invalid>;tag=2`})
	fmt.Println(c.Anonymous, strings.TrimSpace(c.Number) == "")
	// Output:
	// +861012345678 P-Asserted-Identity
	// true true
}
