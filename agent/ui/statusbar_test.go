package ui

import (
	"strings"
	"testing"
	"time"
)

func TestStatusBar_LastSyncTime(t *testing.T) {
	s, _, _ := newTestWindow(t, Options{Lang: "en"})
	last := time.Date(2026, 11, 23, 10, 42, 0, 0, time.Local)
	tests := []struct {
		m    Model
		want string
		not  string
	}{
		{Model{Sync: "ok", LastSync: last}, "in sync · 10:42", ""},
		{Model{Sync: "pending", Pending: 3, LastSync: last}, "3 waiting · 10:42", ""},
		{Model{Sync: "ok"}, "in sync", "·"},
		{Model{Sync: "none", LastSync: last}, "", "10:42"},
	}
	for _, tc := range tests {
		s.Apply(tc.m)
		got := s.desk.sync.Text
		if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
			t.Errorf("%+v: status %q, want %q without %q", tc.m, got, tc.want, tc.not)
		}
	}
}
