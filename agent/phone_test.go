package agent

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"13800138000", "+8613800138000"},
		{"138-0013-8000", "+8613800138000"},
		{"+86 138 0013 8000", "+8613800138000"},
		{"008613800138000", "+8613800138000"},
		{"86 13800138000", "+8613800138000"},
		{"１３８００１３８０００", "+8613800138000"},
		{"010-12345678", "+861012345678"},
		{"(0755)8888 9999", "+8675588889999"},
		{"+86 10 1234 5678", "+861012345678"},
		{"400-123-4567", "4001234567"},
		{"+86 400 123 4567", "4001234567"},
		{"800 820 8820", "8008208820"},
		{"+1 415 555 2671", "+14155552671"},
		{"+852 2123 4567", "+85221234567"},
		{"95588", "95588"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			if err != nil {
				t.Fatalf("NormalizePhone(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizePhone_Bad(t *testing.T) {
	for _, in := range []string{"", "abc", "12", "138-0013-8000x", "+", "1380013800013800138000", "anonymous"} {
		t.Run(in, func(t *testing.T) {
			got, err := NormalizePhone(in)
			if !errors.Is(err, ErrBadPhone) {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want ErrBadPhone", in, got, err)
			}
		})
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138 0013 8000", "(0755)8888 9999", "400-123-4567", "0086"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizePhone(s)
		if err != nil {
			return
		}
		// A normalised number normalises to itself.
		again, err := NormalizePhone(n)
		if err != nil || again != n {
			t.Fatalf("NormalizePhone(%q) = %q; again = %q, %v", s, n, again, err)
		}
	})
}
