package telephony_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"agentdesk/telephony"
)

// A desk registers as extension 8001 and answers whoever calls. Events
// arrive on SIP goroutines, so the emitter only hands them on.
func ExampleNew() {
	events := make(chan telephony.Event, 64)
	ua, err := telephony.New(telephony.Config{
		PBX:       "sip:pbx.example.com:5060",
		User:      "8001",
		Password:  "secret",
		Transport: "udp",
		Expires:   5 * time.Minute,
		KeepAlive: 25 * time.Second,
	}, telephony.EmitterFunc(func(e telephony.Event) {
		select {
		case events <- e:
		default: // never block the user agent
		}
	}))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ua.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer ua.Close() // unregisters
	for e := range events {
		if e.Kind == telephony.EventRinging {
			log.Printf("call from %s (%s)", e.Caller.Number, e.Caller.DisplayName)
			if err := ua.Answer(e.CallID); err != nil {
				log.Print(err)
			}
		}
	}
}

func ExampleParseMonitorMode() {
	m, err := telephony.ParseMonitorMode("Whisper")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m, m == telephony.MonitorWhisper)
	_, err = telephony.ParseMonitorMode("spy")
	fmt.Println(errors.Is(err, telephony.ErrMonitorMode))
	// Output:
	// whisper true
	// true
}

// A supervisor joins an agent's call. The hub minted the token and told
// both desks: the agent's desk expects it for its call, the supervisor's
// dials the agent's extension with it.
func ExampleUA_DialMonitor() {
	var agent, supervisor *telephony.UA           // both started, registered to the PBX
	const token = "hub-minted-3q2-7fGk1sQ_x8ZpL0" // 16-256 of A-Z a-z 0-9 - . _ ~
	const customerCall = "the agent's answered call's Call-ID"

	// On the agent's desk, when the hub says a supervisor will join.
	if err := agent.ExpectMonitor(token, customerCall, telephony.MonitorListen, time.Now().Add(30*time.Second)); err != nil {
		log.Fatal(err)
	}
	// On the supervisor's desk.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	session, err := supervisor.DialMonitor(ctx, "8001", token, telephony.MonitorListen)
	if errors.Is(err, telephony.ErrMonitorRefused) {
		log.Print("the agent's desk did not expect this supervisor")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	// Coach the agent, then leave.
	if err := supervisor.SetMonitorMode(session, telephony.MonitorWhisper); err != nil {
		log.Print(err)
	}
	_ = supervisor.Hangup(session)
}
