package upstream

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckReview decides whether reviewer (a token's name) may review pack
// version v as r, live being the live version of v's language (0 if it has
// none). It returns nil, or why not: ErrOwnVersion when reviewer is v's
// author; ErrConflict when v is no longer pending, or when r approves it
// and a newer version of its language is live (approved, it would not go
// live: desks keep the highest version number); ErrInvalid when a
// rejection has no reason or the reason is not plain text of at most
// MaxReasonLen bytes. Roles are the handler's business, not this one's.
func CheckReview(v PackVersion, live int64, reviewer string, r PackReview) error {
	if reviewer == v.Author {
		return fmt.Errorf("%w: %s wrote version %d; a supervisor or another trainer reviews it", ErrOwnVersion, reviewer, v.Version)
	}
	if v.State != PackPending {
		by := ""
		if v.ReviewedBy != "" {
			by = " by " + v.ReviewedBy
		}
		return fmt.Errorf("%w: version %d was already %s%s", ErrConflict, v.Version, v.State, by)
	}
	if err := checkReason(r.Reason, !r.Approve); err != nil {
		return fmt.Errorf("reject version %d: %w", v.Version, err)
	}
	if r.Approve && live > v.Version {
		return fmt.Errorf("%w: version %d is older than the live version %d of %s and would not go live; publish it again to have it reviewed",
			ErrConflict, v.Version, live, v.Lang)
	}
	return nil
}

// CheckRollback decides whether pack version v may be made live again,
// live being the live version of its language: nil, or ErrInvalid without
// a reason (or with one that is not plain text of at most MaxReasonLen
// bytes), ErrConflict when v was never approved or is the live version.
func CheckRollback(v PackVersion, live int64, reason string) error {
	if err := checkReason(reason, true); err != nil {
		return fmt.Errorf("roll back to version %d: %w", v.Version, err)
	}
	if v.State != PackApproved {
		return fmt.Errorf("%w: version %d is %s; only an approved version can be made live again", ErrConflict, v.Version, v.State)
	}
	if v.Version == live {
		return fmt.Errorf("%w: version %d is already the live version of %s", ErrConflict, v.Version, v.Lang)
	}
	return nil
}

// checkReason accepts UTF-8 text of at most MaxReasonLen bytes, with line
// breaks and tabs but no other control characters; required, it must not
// be blank.
func checkReason(reason string, required bool) error {
	switch {
	case required && strings.TrimSpace(reason) == "":
		return fmt.Errorf("%w: a reason is required", ErrInvalid)
	case len(reason) > MaxReasonLen:
		return fmt.Errorf("%w: reason longer than %d bytes", ErrInvalid, MaxReasonLen)
	case !utf8.ValidString(reason):
		return fmt.Errorf("%w: reason is not UTF-8", ErrInvalid)
	}
	for _, c := range reason {
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: reason contains a control character", ErrInvalid)
		}
	}
	return nil
}
