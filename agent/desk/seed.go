package desk

import (
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

// SeedCustomers adds each customer whose first phone number the store does
// not know yet, and reports how many it added. The desk's first run uses it
// with the practice scenario's known callers, so the first practice call
// pops a real record; running it again adds nothing.
func SeedCustomers(st *store.Store, cs []agent.Customer, now time.Time) (int, error) {
	added := 0
	for i := range cs {
		c := cs[i]
		if len(c.Phones) == 0 {
			return added, fmt.Errorf("seed customer %q: %w", c.Name, agent.ErrNoPhone)
		}
		have, err := st.LookupPhone(c.Phones[0])
		if err != nil {
			return added, fmt.Errorf("seed customer %q: %w", c.Name, err)
		}
		if len(have) > 0 {
			continue
		}
		if err := st.PutCustomer(&c, now); err != nil {
			return added, fmt.Errorf("seed customer %q: %w", c.Name, err)
		}
		added++
	}
	return added, nil
}
