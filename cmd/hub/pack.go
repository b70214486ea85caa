package main

import (
	"errors"
	"unicode/utf8"
)

// validatePack checks a script pack before it is published. The scripts
// package's parser (scripts.Parse) has not landed yet, so for now a pack
// must be non-empty UTF-8 text and name its language with ?lang=; switch to
// scripts.Parse (and take the language from the pack) once it exists.
func validatePack(name string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", errors.New(name + ": empty pack")
	}
	if !utf8.Valid(data) {
		return "", errors.New(name + ": pack is not UTF-8 text")
	}
	return "", nil
}
