package ui

import (
	"errors"
	"fmt"
)

// ErrNeedsHub is what PackTools.Publish returns when no hub is configured.
var ErrNeedsHub = errors.New("publish: no hub configured")

// PublishError is a publish the hub refused or could not take, as a message
// id the trainer view translates ("tr.refused.auth", "tr.refused.role",
// "tr.refused.invalid", "tr.hubdown"…) and the hub's own words as detail.
type PublishError struct {
	ID     string
	Detail string
}

func (e *PublishError) Error() string { return "publish: " + e.ID + ": " + e.Detail }

// publishMessage is what the trainer view says about a failed publish.
// An error that is not a PublishError is taken as ErrNeedsHub (what
// PackTools without a hub returned before PublishError existed).
func publishMessage(lang string, err error) string {
	var pe *PublishError
	if errors.As(err, &pe) {
		if pe.Detail == "" {
			return tr(lang, pe.ID)
		}
		return fmt.Sprintf("%s\n%s", tr(lang, pe.ID), pe.Detail)
	}
	return tr(lang, "tr.needshub")
}
