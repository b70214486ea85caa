package telephony

import (
	"context"
	"encoding/xml"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// DialogInfo is an RFC 4235 dialog-info document (application/dialog-info+xml).
type DialogInfo struct {
	XMLName xml.Name      `xml:"dialog-info"`
	Version int           `xml:"version,attr"`
	State   string        `xml:"state,attr"` // full or partial
	Entity  string        `xml:"entity,attr"`
	Dialogs []DialogEntry `xml:"dialog"`
}

// DialogEntry is one dialog of a dialog-info document.
type DialogEntry struct {
	ID        string `xml:"id,attr"`
	CallID    string `xml:"call-id,attr"`
	Direction string `xml:"direction,attr"` // initiator or recipient
	State     struct {
		Value string `xml:",chardata"` // trying, proceeding, early, confirmed, terminated
		Event string `xml:"event,attr"`
		Code  int    `xml:"code,attr"`
	} `xml:"state"`
	Remote struct {
		Identity struct {
			Display string `xml:"display,attr"`
			URI     string `xml:",chardata"`
		} `xml:"identity"`
	} `xml:"remote"`
}

// ParseDialogInfo reads a dialog-info document.
func ParseDialogInfo(body []byte) (*DialogInfo, error) {
	var d DialogInfo
	if err := xml.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	for i := range d.Dialogs {
		d.Dialogs[i].State.Value = strings.ToLower(strings.TrimSpace(d.Dialogs[i].State.Value))
		d.Dialogs[i].Remote.Identity.URI = strings.TrimSpace(d.Dialogs[i].Remote.Identity.URI)
	}
	return &d, nil
}

// companion watches the extension's desk phone through a dialog event
// subscription and turns its dialogs into ringing/answered/ended events.
type companion struct {
	u       *UA
	callID  string
	fromTag string

	notifyMu sync.Mutex // one NOTIFY at a time
	mu       sync.Mutex
	version  int // last dialog-info version applied; -1 before the first
	cseq     uint32
	toTag    string
	dialogs  map[string]string
	resub    chan struct{}
}

func newCompanion(u *UA) *companion {
	return &companion{
		u:       u,
		callID:  uuid.NewString(),
		fromTag: sip.GenerateTagN(16),
		cseq:    1,
		dialogs: map[string]string{},
		resub:   make(chan struct{}, 1),
		version: -1,
	}
}

// run keeps the subscription alive: subscribe, refresh before expiry,
// retry with backoff, and start over when the notifier ends it.
func (c *companion) run(ctx context.Context) {
	backoff := c.u.backoffMin
	for {
		granted, err := c.subscribe(ctx, c.u.cfg.Expires)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		if err != nil {
			c.u.log.Warn("subscribe dialog failed", "reason", errReason(err))
			wait = backoff
			backoff = min(backoff*2, c.u.backoffMax)
		} else {
			backoff = c.u.backoffMin
			wait = max(min(granted/2, granted-5*time.Second), time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-c.resub:
			t.Stop()
		}
	}
}

func (c *companion) newRequest(expires time.Duration) *sip.Request {
	c.mu.Lock()
	c.cseq++
	cseq := c.cseq
	toTag := c.toTag
	if toTag == "" {
		c.version = -1 // a new subscription: the notifier counts from 0 again
	}
	c.mu.Unlock()
	u := c.u
	aor := u.aor()
	req := sip.NewRequest(sip.SUBSCRIBE, sip.Uri{Scheme: "sip", User: u.cfg.User, Host: u.pbx.Host, Port: u.pbx.Port})
	from := sip.FromHeader{Address: aor}
	from.Params.Add("tag", c.fromTag)
	req.AppendHeader(&from)
	to := sip.ToHeader{Address: aor}
	if toTag != "" {
		to.Params.Add("tag", toTag)
	}
	req.AppendHeader(&to)
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.SUBSCRIBE})
	contact := u.contact
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Event", "dialog"))
	req.AppendHeader(sip.NewHeader("Accept", "application/dialog-info+xml"))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	u.prepareOutOfDialog(req)
	return req
}

func (c *companion) subscribe(ctx context.Context, expires time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	res, err := c.u.cli.Do(ctx, c.newRequest(expires))
	if err != nil {
		return 0, err
	}
	if res, err = c.u.answerChallenge(ctx, res, func() *sip.Request { return c.newRequest(expires) }); err != nil {
		return 0, err
	}
	if !res.IsSuccess() {
		c.mu.Lock()
		c.toTag = "" // a refused refresh: start a new subscription next time
		c.mu.Unlock()
		return 0, registerError{res: statusReason(res)}
	}
	if to := res.To(); to != nil {
		if tag, ok := to.Params.Get("tag"); ok {
			c.mu.Lock()
			c.toTag = tag
			c.mu.Unlock()
		}
	}
	granted := headerExpiry(res, expires)
	c.u.log.Info("subscribed to dialog events", "expires", granted)
	return granted, nil
}

// unsubscribe ends the subscription (Expires: 0) on Close.
func (c *companion) unsubscribe(ctx context.Context) {
	c.mu.Lock()
	active := c.toTag != ""
	c.mu.Unlock()
	if !active {
		return
	}
	if _, err := c.subscribe(ctx, 0); err != nil {
		c.u.log.Debug("unsubscribe", "error", err)
	}
}

// onNotify reads a dialog-info NOTIFY and emits the changes. NOTIFYs are
// handled one at a time and answered after they are applied, so a
// notifier that waits for our 200 sees its changes in order; a document
// older than one already applied (RFC 4235 version) is ignored.
func (c *companion) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if callIDOf(req) != c.callID {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	defer func() { _ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)) }()
	if from := req.From(); from != nil {
		if tag, ok := from.Params.Get("tag"); ok {
			c.mu.Lock()
			c.toTag = tag
			c.mu.Unlock()
		}
	}
	if strings.HasPrefix(strings.ToLower(headerValue(req, "Subscription-State")), "terminated") {
		c.mu.Lock()
		c.toTag = ""
		c.version = -1
		c.mu.Unlock()
		select {
		case c.resub <- struct{}{}:
		default:
		}
	}
	if len(req.Body()) == 0 {
		return
	}
	info, err := ParseDialogInfo(req.Body())
	if err != nil {
		c.u.log.Info("bad dialog-info", "error", err)
		return
	}
	c.mu.Lock()
	stale := info.Version < c.version
	if !stale {
		c.version = info.Version
	}
	c.mu.Unlock()
	if stale {
		c.u.log.Debug("stale dialog-info", "version", info.Version)
		return
	}
	for _, d := range info.Dialogs {
		c.apply(d)
	}
}

// apply moves one watched dialog along: early → ringing (only for calls
// to the desk phone), confirmed → answered, terminated → ended (if it was
// answered) or missed.
func (c *companion) apply(d DialogEntry) {
	key := d.ID
	if key == "" {
		key = d.CallID
	}
	callID := d.CallID
	if callID == "" {
		callID = d.ID
	}
	caller := Caller{}
	if d.Remote.Identity.URI != "" {
		value := "<" + d.Remote.Identity.URI + ">"
		if d.Remote.Identity.Display != "" {
			value = `"` + strings.ReplaceAll(strings.ReplaceAll(d.Remote.Identity.Display, `\`, `\\`), `"`, `\"`) + `" ` + value
		}
		if parsed, err := ParseIdentity(value); err == nil {
			caller = parsed
			caller.Source = "dialog-info"
		}
	}
	dir := Inbound
	if d.Direction == "initiator" {
		dir = Outbound
	}
	c.mu.Lock()
	prev := c.dialogs[key]
	next := prev
	var kind EventKind
	switch d.State.Value {
	case "trying", "proceeding", "early":
		if prev == "" {
			next = "early"
			kind = EventRinging
		}
	case "confirmed":
		if prev != "confirmed" {
			next = "confirmed"
			kind = EventAnswered
		}
	case "terminated":
		if prev == "confirmed" {
			kind = EventEnded
		} else if prev != "" {
			kind = EventMissed
		}
		next = ""
	}
	if next == "" {
		delete(c.dialogs, key)
	} else {
		c.dialogs[key] = next
	}
	c.mu.Unlock()
	if kind == 0 {
		return
	}
	reason := ""
	if kind == EventEnded || kind == EventMissed {
		reason = d.State.Event
		if reason == "" {
			reason = "desk phone"
		}
	}
	c.u.event(Event{Kind: kind, CallID: callID, Direction: dir, Caller: caller, Reason: reason})
}
