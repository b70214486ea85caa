package upstream_test

import (
	"fmt"

	"agentdesk/agent/upstream"
)

// The hub holds version 2 of a record from desk A. What it does with each
// copy a desk pushes:
func ExampleDecide() {
	stored := &upstream.Copy{Version: 2, Desk: "A", Body: []byte(`{"name":"张三"}`)}
	for _, in := range []upstream.Copy{
		{Version: 3, Desk: "B", Body: []byte(`{"name":"张三丰"}`)}, // newer, from any desk
		{Version: 2, Desk: "A", Body: []byte(`{"name":"张三"}`)},  // the same, resent
		{Version: 1, Desk: "A", Body: []byte(`{"name":"张"}`)},   // older
		{Version: 2, Desk: "A", Body: []byte(`{"name":"李四"}`)},  // same version, other content
		{Version: 2, Desk: "B", Body: []byte(`{"name":"张三"}`)},  // same version, other desk
	} {
		outcome, reason := upstream.Decide(in, stored)
		if reason != "" {
			fmt.Println(outcome, reason)
		} else {
			fmt.Println(outcome)
		}
	}
	// Output:
	// stored
	// duplicate
	// stale
	// conflict same version, different content
	// conflict same version, stored from desk A
}
