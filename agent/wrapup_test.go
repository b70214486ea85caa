package agent

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestCall_Wrap(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		w    WrapUp
		want []Problem
	}{
		{"consultation", WrapUp{Type: "consultation", Result: "已解答"}, nil},
		{"complaint with its case", WrapUp{Type: "complaint", Result: "已受理", CaseID: "c1"}, nil},
		{"complaint without case", WrapUp{Type: "complaint", Result: "已受理"}, []Problem{ProblemWrapCase}},
		{"no type", WrapUp{Result: "x"}, []Problem{ProblemWrapType}},
		{"bad type", WrapUp{Type: "chat", Result: "x"}, []Problem{ProblemWrapType}},
		{"no result", WrapUp{Type: "other", Result: "  "}, []Problem{ProblemWrapResult}},
		{"nothing", WrapUp{}, []Problem{ProblemWrapType, ProblemWrapResult}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Call{Number: "+862161234567", Area: "上海市"}
			err := c.Wrap(tt.w, at)
			var inc *WrapIncompleteError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("wrap: %v", err)
			case tt.want != nil && (!errors.As(err, &inc) || !slices.Equal(inc.Problems, tt.want) || !errors.Is(err, ErrEmpty)):
				t.Fatalf("wrap = %v, want problems %v", err, tt.want)
			case tt.want != nil && c.Wrapped():
				t.Errorf("a refused wrap-up changed the call: %+v", c)
			case tt.want == nil && (!c.Wrapped() || c.Area != "上海市" || c.Result != tt.w.Result):
				t.Errorf("wrapped call = %+v", c)
			}
		})
	}
}

func TestAreaOf(t *testing.T) {
	tests := []struct{ number, lang, want string }{
		{"021-6123-4567", "zh", "上海市"},
		{"+8675512345678", "zh", "广东省深圳市"},
		{"+862161234567", "en", "Shanghai"},
		{"4008001234", "zh", ""},
		{"anonymous", "zh", ""},
	}
	for _, tt := range tests {
		if got := AreaOf(tt.number, tt.lang); got != tt.want {
			t.Errorf("AreaOf(%q, %s) = %q, want %q", tt.number, tt.lang, got, tt.want)
		}
	}
}
