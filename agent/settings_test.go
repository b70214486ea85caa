package agent

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestCenterSettings_Center(t *testing.T) {
	def, err := DefaultCenter()
	if err != nil {
		t.Fatal(err)
	}
	c, err := CenterSettings{}.Center()
	if err != nil || c.RingLimit != 10*time.Second || c.AfterCallWork != DefaultAfterCallWork || len(c.Quiet.Windows) != 2 {
		t.Fatalf("empty settings = %+v, %v", c, err)
	}
	s := CenterSettings{TimeZone: "Asia/Taipei", QuietHours: []string{"12:30-13:30"}, RingLimitSeconds: 15,
		ReplyHours: ReplyHours{Simple: 1.5}, AfterCallWorkSeconds: 45, CallbackDays: 2, CallbackRetryMinutes: 30,
		Warning: &WarningSettings{RaiseWithinMinutes: 15, Stages: []StageSetting{{Name: "pick_up", Role: RoleSupervisor, Minutes: 20}}}}
	c, err = s.Center()
	if err != nil {
		t.Fatal(err)
	}
	if c.Zone.String() != "Asia/Taipei" || c.Quiet.Windows[0] != (QuietWindow{750, 810}) || c.RingLimit != 15*time.Second ||
		c.Reply.Simple != 90*time.Minute || c.Reply.Complex != def.Reply.Complex || c.AfterCallWork != 45*time.Second ||
		c.CallbackDays != 2 || c.CallbackRetry != 30*time.Minute || len(c.Warning.Stages) != 1 || c.Warning.RaiseWithin != 15*time.Minute {
		t.Errorf("center = %+v", c)
	}
	back, err := SettingsOf(c).Center()
	if err != nil || !reflect.DeepEqual(back.Warning, c.Warning) || back.Reply != c.Reply || back.Quiet.Windows[0] != c.Quiet.Windows[0] {
		t.Errorf("settings round trip: %+v, %v", back, err)
	}
	for name, bad := range map[string]CenterSettings{
		"time_zone":           {TimeZone: "Mars/Base"},
		"quiet_hours[0]":      {QuietHours: []string{"noon"}},
		"limits":              {RingLimitSeconds: -1},
		"reply_hours.complex": {ReplyHours: ReplyHours{Complex: -2}},
		"warning":             {Warning: &WarningSettings{RaiseWithinMinutes: 10, Stages: []StageSetting{{Name: "x", Role: "boss", Minutes: 5}}}},
	} {
		_, err := bad.Center()
		var se *SettingsError
		if !errors.As(err, &se) || se.Field != name || !errors.Is(err, ErrSettings) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
