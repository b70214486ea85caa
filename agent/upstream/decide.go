package upstream

import (
	"bytes"
	"fmt"
)

// Copy is one version of a record as the protocol's decision sees it: its
// version, the desk that sent it, whether it is a tombstone, and its body.
type Copy struct {
	Version int64
	Desk    string
	Deleted bool
	Body    []byte
}

// CopyOf is the copy of r that desk pushed.
func CopyOf(r Record, desk string) Copy {
	return Copy{Version: r.Version, Desk: desk, Deleted: r.Deleted, Body: r.Body}
}

// Decide is the sync protocol's rule for one pushed record: in is the
// incoming copy, stored the hub's copy of the same record (nil when the hub
// has none).
//
//   - nothing stored, or in is a newer version: OutcomeStored;
//   - in is an older version: OutcomeStale (the newer one stays);
//   - the same version from the same desk, with the same deletion mark and
//     the same body byte for byte: OutcomeDuplicate (a resend);
//   - the same version otherwise: OutcomeConflict, with the reason a person
//     reads on the board. A conflict never replaces the stored copy.
//
// An empty body and a missing one are the same body.
func Decide(in Copy, stored *Copy) (Outcome, string) {
	switch {
	case stored == nil || in.Version > stored.Version:
		return OutcomeStored, ""
	case in.Version < stored.Version:
		return OutcomeStale, ""
	case stored.Desk != in.Desk:
		return OutcomeConflict, fmt.Sprintf("same version, stored from desk %s", stored.Desk)
	case stored.Deleted != in.Deleted || !bytes.Equal(stored.Body, in.Body):
		return OutcomeConflict, "same version, different content"
	default:
		return OutcomeDuplicate, ""
	}
}
