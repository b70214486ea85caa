package telephony_test

import (
	"os"

	"github.com/emiago/sipgo/sip"
)

// SIP_DEBUG=true prints every SIP message the tests send and receive.
func init() { sip.SIPDebug = os.Getenv("SIP_DEBUG") == "true" }
