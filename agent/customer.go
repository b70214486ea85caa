package agent

import (
	"errors"
	"fmt"
	"strings"
)

// Title is how a caller is addressed after the surname: 先生 or 女士.
type Title string

// Titles the scripts know. An empty Title means the caller declined to say.
const (
	TitleNone Title = ""
	TitleMr   Title = "先生"
	TitleMs   Title = "女士"
)

// ParseTitle accepts 先生/女士 and their usual English and zh-Hant spellings.
func ParseTitle(s string) (Title, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return TitleNone, nil
	case "先生", "mr", "mr.", "m":
		return TitleMr, nil
	case "女士", "ms", "ms.", "mrs", "mrs.", "miss", "f", "小姐":
		return TitleMs, nil
	}
	return TitleNone, fmt.Errorf("unknown title %q (want 先生 or 女士)", s)
}

// Customer is a caller the hotline knows.
type Customer struct {
	Meta
	Name    string   `json:"name"`
	Surname string   `json:"surname,omitempty"`
	Title   Title    `json:"title,omitempty"`
	Phones  []string `json:"phones"` // normalised, see NormalizePhone
	Member  bool     `json:"member"`
	Level   string   `json:"level,omitempty"` // member level, e.g. 金卡
	Address string   `json:"address,omitempty"`
	Area    string   `json:"area,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Notes   string   `json:"notes,omitempty"`
}

// ErrNoPhone is returned by Customer.Validate when a customer has no number.
var ErrNoPhone = errors.New("customer has no phone number")

// Validate checks a customer before it is stored and normalises its phone
// numbers in place. It returns every problem found, joined.
func (c *Customer) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Name) == "" && strings.TrimSpace(c.Surname) == "" {
		errs = append(errs, errors.New("customer has neither name nor surname"))
	}
	if len(c.Phones) == 0 {
		errs = append(errs, ErrNoPhone)
	}
	seen := make(map[string]bool, len(c.Phones))
	phones := c.Phones[:0:0]
	for _, p := range c.Phones {
		n, err := NormalizePhone(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[n] {
			seen[n] = true
			phones = append(phones, n)
		}
	}
	c.Phones = phones
	return errors.Join(errs...)
}
