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

// A trainer changed the company's name; the reviewer sees it against the
// live version.
func ExampleLineDiff() {
	live := []byte("lang = \"zh-Hans\"\ncompany = \"西太平洋物业\"\ntime_zone = \"Asia/Shanghai\"\n")
	edited := []byte("lang = \"zh-Hans\"\ncompany = \"西太平洋物业服务\"\ntime_zone = \"Asia/Shanghai\"\n")
	fmt.Print(upstream.LineDiff("v3 hotline.toml (live)", live, "v4 hotline.toml", edited))
	// Output:
	// --- v3 hotline.toml (live)
	// +++ v4 hotline.toml
	// @@ -1,3 +1,3 @@
	//  lang = "zh-Hans"
	// -company = "西太平洋物业"
	// +company = "西太平洋物业服务"
	//  time_zone = "Asia/Shanghai"
}

// Who may review a pending version, and when approval is refused:
func ExampleCheckReview() {
	v := upstream.PackVersion{Version: 5, Lang: "en", State: upstream.PackPending, Author: "Li"}
	approve := upstream.PackReview{Approve: true}
	fmt.Println(upstream.CheckReview(v, 4, "Wang", approve))
	fmt.Println(upstream.CheckReview(v, 4, "Li", approve))
	fmt.Println(upstream.CheckReview(v, 6, "Wang", approve))
	fmt.Println(upstream.CheckReview(v, 4, "Wang", upstream.PackReview{}))
	// Output:
	// <nil>
	// forbidden: the author of a pack version may not review it: Li wrote version 5; a supervisor or another trainer reviews it
	// conflict: version 5 is older than the live version 6 of en and would not go live; publish it again to have it reviewed
	// reject version 5: invalid request: a reason is required
}
