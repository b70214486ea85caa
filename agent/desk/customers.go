package desk

import (
	"fmt"
	"strings"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

// SearchCustomers finds customers by name or number prefix.
func (d *Desk) SearchCustomers(query string) ([]agent.Customer, error) {
	cs, err := d.st.SearchCustomers(strings.TrimSpace(query), store.DefaultSearchLimit)
	if err != nil {
		return nil, fmt.Errorf("search customers: %w", err)
	}
	return cs, nil
}

// CustomerEdit is what the customer form edits; the other fields of a
// stored record (further phones, notes, address…) are kept.
type CustomerEdit struct {
	ID, Name, Surname, Phone string
	Title                    agent.Title
	Member                   bool
}

// SaveCustomer validates and stores the edit (a new record when ID is
// empty) and returns the stored customer. The store refuses what the rules
// refuse (agent.ErrBadPhone, agent.ErrEmpty…), changing nothing.
func (d *Desk) SaveCustomer(e CustomerEdit) (agent.Customer, error) {
	c := agent.Customer{}
	if e.ID != "" {
		var err error
		if c, err = d.st.Customer(e.ID); err != nil {
			return c, fmt.Errorf("save customer %s: %w", e.ID, err)
		}
	}
	c.Name, c.Surname, c.Title, c.Member = strings.TrimSpace(e.Name), strings.TrimSpace(e.Surname), e.Title, e.Member
	phone := strings.TrimSpace(e.Phone)
	if n, err := agent.NormalizePhone(phone); err == nil {
		phone = n
	}
	if len(c.Phones) == 0 || c.Phones[0] != phone {
		rest := c.Phones
		if len(rest) > 0 {
			rest = rest[1:]
		}
		c.Phones = append([]string{phone}, rest...)
	}
	if err := d.st.PutCustomer(&c, d.clock.Now()); err != nil {
		return c, fmt.Errorf("save customer: %w", err)
	}
	if c.Member {
		d.replan.Store(true)
	}
	d.reload()
	return c, nil
}
