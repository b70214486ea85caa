package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzComplaintOps drives random operation sequences on one case and checks
// that no content an accepted operation recorded is ever lost, that a closed
// case never has a step missing, and that a major case is always reported.
func FuzzComplaintOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 1, 2, 5, 6, 7, 9, 0, 3, 5, 6, 7})
	f.Add([]byte{0, 0, 1, 1, 2, 2, 3, 5, 6, 4, 7, 8, 9, 7, 8})
	f.Add([]byte{7, 6, 5, 4, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		p := DefaultReplyPolicy()
		at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
		c, err := NewComplaint("cust", "agent", ChannelPhone, at)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string // every text an accepted operation recorded
		for i, op := range ops {
			at = at.Add(time.Duration(op%7+1) * 13 * time.Minute)
			text := fmt.Sprintf("t%d-%d", i, op)
			var err error
			var texts []string
			switch op % 12 {
			case 0:
				err, texts = c.Listen("说 "+text, at), []string{"说 " + text}
			case 1:
				f := Facts{What: "w" + text, When: "n" + text, Where: "h" + text, Subject: "s" + text, Wants: "x" + text}
				if op%24 == 13 {
					f.Where = ""
				}
				err, texts = c.Ask(f, op%5 != 0, at), []string{"w" + text, "x" + text}
			case 2:
				in := FollowInput{Severity: Severity(op%3 + 1), SolvedOnCall: op%11 == 0}
				if op%4 == 1 {
					in.ReplyDue, in.DueReason = at.Add(5*time.Hour), "r"+text
					texts = []string{"r" + text}
				}
				_, err = c.Follow(in, at, p)
			case 3:
				err, texts = c.AddFollowUp("f"+text, at), []string{"f" + text}
			case 4:
				err, texts = c.SetReplyDue(at.Add(3*time.Hour), "d"+text, at), []string{"d" + text}
			case 5, 10:
				err, texts = c.Reply(ReplyInput{How: "电话", Said: "y" + text, Accepted: op%3 != 0}, at), []string{"y" + text}
			case 6, 11:
				err, texts = c.Record("m"+text, "p"+text, "z"+text, at), []string{"m" + text, "p" + text, "z" + text}
			case 7:
				err = c.Close(at)
			case 8:
				err, texts = c.Reopen("o"+text, at, p), []string{"o" + text}
			case 9:
				err = c.Listen("", at) // always refused
				if err == nil {
					t.Fatal("blank statement accepted")
				}
			}
			if err == nil {
				kept = append(kept, texts...)
			}
			if c.State == StateClosed && len(c.Missing()) > 0 {
				t.Fatalf("op %d: closed with %v", i, c.Missing())
			}
			if c.Followed != nil && c.Followed.Severity == SeverityMajor && c.Reported == nil {
				t.Fatalf("op %d: major case not reported", i)
			}
			if (c.State == StateReplied || c.State == StateClosed) && c.Replied == nil {
				t.Fatalf("op %d: state %s without a reply", i, c.State)
			}
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Complaint
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		b2, _ := json.Marshal(&back)
		if string(b) != string(b2) {
			t.Fatalf("JSON round trip changed the case:\n%s\n%s", b, b2)
		}
		for _, s := range kept {
			q, _ := json.Marshal(s)
			if !strings.Contains(string(b), strings.Trim(string(q), `"`)) {
				t.Fatalf("content %q lost: %s", s, b)
			}
		}
	})
}
