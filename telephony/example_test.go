package telephony_test

import (
	"context"
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
