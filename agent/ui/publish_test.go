package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPublishMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		lang string
		want []string
	}{
		{"no hub", ErrNeedsHub, "en", []string{"Publishing needs a hub"}},
		{"wrapped no hub", fmt.Errorf("x: %w", ErrNeedsHub), "zh-Hans", []string{"发布需要连接中心"}},
		{"role", &PublishError{ID: "tr.refused.role", Detail: "forbidden"}, "zh-Hant", []string{"不是培訓師權杖", "forbidden"}},
		{"invalid", &PublishError{ID: "tr.refused.invalid", Detail: "pack.toml:3: bad"}, "en", []string{"does not validate", "pack.toml:3: bad"}},
		{"hub down", &PublishError{ID: "tr.hubdown"}, "en", []string{"cannot be reached"}},
		{"other", errors.New("needs a hub"), "en", []string{"Publishing needs a hub"}},
	}
	for _, tc := range tests {
		got := publishMessage(tc.lang, tc.err)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		if strings.HasPrefix(got, "tr.") {
			t.Errorf("%s: untranslated %q", tc.name, got)
		}
	}
}
