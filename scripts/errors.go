package scripts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// PackError is one problem in a script pack, located at a line of its file
// and at the field it concerns, and worded for the trainer who edits it.
// Msg is English (for the CLI); a UI translates Code with Args instead.
type PackError struct {
	File string // the pack's file name as given to Parse or LoadFile
	Line int    // 1-based; 0 when the problem has no single line (a missing section)
	Msg  string
	// Path is the field: "company", "slots[1].to", "holidays.mid_autumn.greeting",
	// "phrases[3].say", "calendar[0].from"; "" for the file as a whole. Indexes
	// count the file's entries, which are also the Form's.
	Path string
	Code ErrorCode
	// Args are the values Msg mentions, by name; which names each code has is
	// listed with the code.
	Args map[string]string
}

// Error returns "file:line: msg".
func (e *PackError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// PackErrors is every problem found in a pack, in line order. Parse and
// LoadFile return it (as error) when a pack is not usable.
type PackErrors []*PackError

// Error joins the problems, one per line.
func (es PackErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// At returns the problems of the field path and of the fields inside it
// ("phrases[3]" also returns "phrases[3].say"), for the editor to show at
// that field.
func (es PackErrors) At(path string) PackErrors {
	var out PackErrors
	for _, e := range es {
		if e.Path == path || strings.HasPrefix(e.Path, path+".") || strings.HasPrefix(e.Path, path+"[") {
			out = append(out, e)
		}
	}
	return out
}

func (es PackErrors) sorted() PackErrors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		return es[i].Line < es[j].Line
	})
	return es
}

// ErrorCode names a kind of problem in a pack. Codes are stable: a UI keys
// its translated messages on them. The names in brackets are the Args each
// one carries (every code also has "key", the field as the file writes it).
type ErrorCode string

// The codes of PackError.
const (
	CodeTOMLSyntax         ErrorCode = "toml_syntax"          // [detail] the file is not TOML
	CodeWrongKind          ErrorCode = "wrong_kind"           // [want got] text where a number belongs…
	CodeUnreadable         ErrorCode = "unreadable"           // [detail] decodes, but not as a pack
	CodeUnknownSetting     ErrorCode = "unknown_setting"      // [] a misspelt or unknown key
	CodeRequired           ErrorCode = "required"             // [] a required line or section is missing or empty
	CodeTemplateSyntax     ErrorCode = "template_syntax"      // [problem detail] problem is one of the TemplateProblem values
	CodeUnknownVariable    ErrorCode = "unknown_variable"     // [var] a {{name}} that no pack has
	CodeSalutationVariable ErrorCode = "salutation_variable"  // [var] a salutation may use only surname and title
	CodeUnknownTitle       ErrorCode = "unknown_title"        // [title] only 先生 and 女士 are translated
	CodeUnknownTimeZone    ErrorCode = "unknown_time_zone"    // [zone]
	CodeBadVariableName    ErrorCode = "bad_variable_name"    // [var]
	CodeBuiltinVariable    ErrorCode = "builtin_variable"     // [var] [vars] may not redefine a built-in or reserved name
	CodeBadSlotTime        ErrorCode = "bad_slot_time"        // [value]
	CodeSlotStartsAt24     ErrorCode = "slot_starts_at_24"    // []
	CodeSlotInverted       ErrorCode = "slot_inverted"        // [from to]
	CodeSlotOverlap        ErrorCode = "slot_overlap"         // [from to end]
	CodeSlotGap            ErrorCode = "slot_gap"             // [from to]
	CodeDuplicateID        ErrorCode = "duplicate_id"         // [what id first_line]
	CodeUnknownStep        ErrorCode = "unknown_step"         // [step steps]
	CodeUnknownHoliday     ErrorCode = "unknown_holiday"      // [holiday]
	CodeBadDate            ErrorCode = "bad_date"             // [value]
	CodeRangeInverted      ErrorCode = "range_inverted"       // [from to]
	CodeRangeTooLong       ErrorCode = "range_too_long"       // [from to days max]
	CodeRangeOverlap       ErrorCode = "range_overlap"        // [holiday from to other other_from other_to other_line]
	CodeBadRuleDate        ErrorCode = "bad_rule_date"        // [value calendar] calendar is "date" or "lunar"
	CodeRuleDateAndLunar   ErrorCode = "rule_date_and_lunar"  // [] a holiday has both date and lunar
	CodeBadRuleSpan        ErrorCode = "bad_rule_span"        // [before after max]
	CodeSpanWithoutDate    ErrorCode = "span_without_date"    // [] before/after without date or lunar
	CodeHolidayWithoutDate ErrorCode = "holiday_without_date" // [holiday] an added holiday with no rule and no [[calendar]] range
)

// TemplateProblem values, the "problem" argument of CodeTemplateSyntax.
const (
	ProblemUnclosed    = "unclosed"     // {{ without }}
	ProblemLoneClose   = "lone_close"   // }} without {{
	ProblemEmpty       = "empty"        // {{ }}
	ProblemBadName     = "bad_name"     // {{a b}}
	ProblemIfUnclosed  = "if_unclosed"  // {{if x}} without {{end}}
	ProblemIfNoName    = "if_no_name"   // {{if}}
	ProblemElseAlone   = "else_alone"   // {{else}} outside {{if}}
	ProblemElseTwice   = "else_twice"   // two {{else}} in one {{if}}
	ProblemEndAlone    = "end_alone"    // {{end}} without {{if}}
	ProblemReservedVar = "reserved_var" // {{if}}, {{else}} or {{end}} used as a variable
)

// arrayKeys are the keys whose elements paths show as [n].
var arrayKeys = map[string]bool{"slots": true, "phrases": true, "callback": true, "calendar": true, "reassure": true, "never": true}

// pathOf turns an internal key ("phrases.3.say") into a field path
// ("phrases[3].say").
func pathOf(key string) string {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 && arrayKeys[parts[i-1]] {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
