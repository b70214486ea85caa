package main

import (
	"agentdesk/scripts"
)

// validatePack parses a script pack as the desks will (scripts.Parse) and
// returns its language; a pack with problems is refused with every one of
// them, file:line first.
func validatePack(name string, data []byte) (string, error) {
	p, err := scripts.Parse(name, data)
	if err != nil {
		return "", err
	}
	return p.Lang(), nil
}
