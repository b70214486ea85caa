package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
)

// benchHub opens a hub on a fresh database with agents 1001… and a
// desk principal to push as.
func benchHub(b *testing.B, agents int) (*DB, upstream.Principal, string) {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, pgtest.New(b), WithLogger(quiet), WithPINCost(cheapPIN))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	for i := range agents {
		n := fmt.Sprintf("%d", 1001+i)
		if err := db.AddAgent(ctx, AgentSpec{Number: n, Name: "坐席" + n, Role: upstream.RoleAgent, PIN: "pin-" + n}); err != nil {
			b.Fatal(err)
		}
	}
	desk := agent.NewID()
	tok, err := db.NewToken(ctx, upstream.RoleAgent, "bench desk", desk)
	if err != nil {
		b.Fatal(err)
	}
	p, err := db.Authenticate(ctx, tok)
	if err != nil {
		b.Fatal(err)
	}
	return db, p, desk
}

// pushAll pushes vs as records of kind, MaxBatch at a time.
func pushAll(b *testing.B, db *DB, p upstream.Principal, desk string, kind agent.Kind, ids []string, vs []any) {
	b.Helper()
	for i := 0; i < len(vs); i += upstream.MaxBatch {
		var recs []upstream.Record
		for j := i; j < min(i+upstream.MaxBatch, len(vs)); j++ {
			recs = append(recs, rec(uint64(j+1), kind, ids[j], 1, vs[j]))
		}
		if _, err := db.Push(context.Background(), p, upstream.PushRequest{Desk: desk, Records: recs}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanCallbacks plans the member callbacks of 10,000 and 50,000
// members (no task yet) for 10 agents, one whole plan per iteration.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench PlanCallbacks -benchtime 3x ./agent/hub
func BenchmarkPlanCallbacks(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("members_%d", n), func(b *testing.B) {
			db, p, desk := benchHub(b, 10)
			ids, vs := make([]string, n), make([]any, n)
			for i := range n {
				c := member(desk, fmt.Sprintf("会员%d", i), t0)
				ids[i], vs[i] = c.ID, c
			}
			pushAll(b, db, p, desk, agent.KindCustomer, ids, vs)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if _, err := db.pool.Exec(ctx, `DELETE FROM records WHERE kind = 'callback'`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := db.PlanCallbacks(ctx, t0)
				if err != nil || res.Created != n {
					b.Fatalf("plan = %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/plan")
		})
	}
}

// BenchmarkBoard computes the board with 20,000 calls of today by 50
// agents (its call types), 100 open warning complaints and 100 alerts.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench 'Board$' -benchtime 100x ./agent/hub
func BenchmarkBoard(b *testing.B) {
	db, p, desk := benchHub(b, 0)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	boardSetup(b, db, p, desk, now)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		bd, err := db.Board(ctx, now)
		if err != nil || len(bd.CallTypes) != 50 || len(bd.Warnings) != 100 {
			b.Fatalf("board: %d agents' call types, %d warnings, %v", len(bd.CallTypes), len(bd.Warnings), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/board")
}

// boardSetup stores the board benchmark's records.
func boardSetup(b *testing.B, db *DB, p upstream.Principal, desk string, now time.Time) {
	const calls = 20_000
	ids, vs := make([]string, calls), make([]any, calls)
	for i := range calls {
		c := agent.Call{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: desk}, At: now.Add(-time.Duration(i) * time.Second),
			Agent: fmt.Sprintf("%d", 1001+i%50), Number: "+8613800138000", Answered: true}
		if i%4 != 0 {
			if err := c.Wrap(agent.WrapUp{Type: []string{"consultation", "complaint", "other"}[i%3], Result: "已答复", CaseID: "c"}, c.At); err != nil {
				b.Fatal(err)
			}
		}
		ids[i], vs[i] = c.ID, c
	}
	pushAll(b, db, p, desk, agent.KindCall, ids, vs)
	ids, vs = make([]string, 200), make([]any, 200)
	for i := range 100 {
		c, err := agent.NewComplaint(agent.NewID(), "1001", agent.ChannelPhone, now.Add(-time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		c.ID, c.Warning = agent.NewID(), &agent.Warning{Opened: now.Add(-time.Hour), RaisedAt: now.Add(-time.Duration(i) * time.Minute), RaisedBy: "2001"}
		a := agent.NewMajorComplaintAlert(c, now)
		c.Version, a.Version = 1, 1
		ids[2*i], vs[2*i], ids[2*i+1], vs[2*i+1] = c.ID, c, a.ID, a
	}
	for i := 0; i < len(vs); i += 2 {
		pushAll(b, db, p, desk, agent.KindComplaint, ids[i:i+1], vs[i:i+1])
		pushAll(b, db, p, desk, agent.KindAlert, ids[i+1:i+2], vs[i+1:i+2])
	}
}

// BenchmarkPush_Calls pushes 500 wrapped-up calls of 50 agents per
// iteration (each counted by its day and type as it is stored), beside
// 500 customers, to show what the columns and the counts cost a push.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench Push_Calls -benchtime 20x ./agent/hub
func BenchmarkPush_Calls(b *testing.B) {
	for _, kind := range []agent.Kind{agent.KindCall, agent.KindCustomer} {
		b.Run(string(kind), func(b *testing.B) {
			db, p, desk := benchHub(b, 0)
			at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
			seq := uint64(0)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				recs := make([]upstream.Record, 500)
				for i := range recs {
					seq++
					id := agent.NewID()
					var v any = customer(desk, id, 1, "客户")
					if kind == agent.KindCall {
						c := agent.Call{Meta: agent.Meta{ID: id, Version: 1, Desk: desk}, At: at.Add(time.Duration(seq) * time.Second),
							Agent: fmt.Sprintf("%d", 1001+i%50), Number: "+8613800138000", Answered: true}
						if err := c.Wrap(agent.WrapUp{Type: "consultation", Result: "已答复"}, c.At); err != nil {
							b.Fatal(err)
						}
						v = c
					}
					recs[i] = rec(seq, kind, id, 1, v)
				}
				b.StartTimer()
				if _, err := db.Push(context.Background(), p, upstream.PushRequest{Desk: desk, Records: recs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*500), "µs/record")
		})
	}
}
