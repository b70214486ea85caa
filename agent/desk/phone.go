package desk

import "context"

// Phone is what the desk asks of a phone. The SIP user agent
// (telephony.UA) and the practice phone (telephony/practice) both satisfy it;
// events come back through the telephony.Emitter the phone was given.
type Phone interface {
	// Answer picks up a ringing inbound call.
	Answer(callID string) error
	// Reject refuses a ringing call with a SIP status (486 busy, 603 decline).
	Reject(callID string, status int) error
	// Hangup ends a call: BYE once answered, CANCEL for our own ringing
	// outbound call.
	Hangup(callID string) error
	// Hold and Resume put an answered call on hold and back.
	Hold(callID string) error
	Resume(callID string) error
	// Transfer hands an answered call to target (blind transfer).
	Transfer(callID, target string) error
	// SendDTMF sends one key (0-9, *, #, A-D).
	SendDTMF(callID, digit string) error
	// Dial places an outbound call (callbacks) and returns its Call-ID.
	Dial(ctx context.Context, number string) (callID string, err error)
	// Close unregisters and releases the phone.
	Close() error
}
