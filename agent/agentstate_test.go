package agent

import (
	"errors"
	"testing"
	"time"
)

func TestAgentState_Move(t *testing.T) {
	at := time.Unix(100, 0)
	s := AgentState{Agent: "a", Status: StatusOffline}
	steps := []struct {
		to     AgentStatus
		reason BreakReason
		ok     bool
	}{
		{StatusAvailable, ReasonNone, true},
		{StatusWrapUp, ReasonNone, false},
		{StatusRinging, ReasonNone, true},
		{StatusBreak, ReasonMeal, false},
		{StatusOnCall, ReasonNone, true},
		{StatusAvailable, ReasonNone, false},
		{StatusWrapUp, ReasonNone, true},
		{StatusBreak, ReasonNone, false},
		{StatusBreak, ReasonMeal, true},
		{StatusAvailable, ReasonMeal, false},
		{StatusAvailable, ReasonNone, true},
	}
	for i, st := range steps {
		n, err := s.Move(st.to, st.reason, at.Add(time.Duration(i)*time.Second))
		if (err == nil) != st.ok {
			t.Fatalf("step %d %s → %s (%s): err %v, want ok=%v", i, s.Status, st.to, st.reason, err, st.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrTransition) && !errors.Is(err, ErrEmpty) {
				t.Errorf("step %d: unexpected error kind %v", i, err)
			}
			if n != s {
				t.Errorf("step %d: refused move changed the state", i)
			}
			continue
		}
		if n.Status != st.to || n.Reason != st.reason || !n.Since.Equal(at.Add(time.Duration(i)*time.Second)) {
			t.Errorf("step %d: state %+v", i, n)
		}
		s = n
	}
	if !s.CanTakeCall() {
		t.Error("available agent cannot take a call")
	}
}
