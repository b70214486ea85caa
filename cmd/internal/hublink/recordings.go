package hublink

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/upstream"
)

// Recordings' audio goes to the hub after their records: each sync round
// that pushed everything wakes the uploader, which sends every recording
// the hub does not hold yet (agent.Recording.Uploaded zero) and marks it
// uploaded, a new version of the record that the next round pushes. The
// file stays on the desk (sealed), for the agent to play.

// uploadTimeout bounds one recording's upload: a long call's file on a
// slow line takes time, a dead hub must not hold the uploader forever.
const uploadTimeout = 5 * time.Minute

// kickUpload asks the uploader for a pass; it never blocks.
func (l *Link) kickUpload() {
	select {
	case l.uploadKick <- struct{}{}:
	default:
	}
}

// uploader runs upload passes when kicked, until ctx ends.
func (l *Link) uploader(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.uploadKick:
		}
		if n, err := l.uploadPending(ctx); err != nil && ctx.Err() == nil {
			l.log.Debug("recordings upload paused", "uploaded", n, "error", err)
		} else if n > 0 {
			l.log.Info("recordings uploaded", "count", n)
		}
	}
}

// uploadPending uploads the recordings the hub does not hold yet, oldest
// first, and returns how many it uploaded. It stops at the first that the
// hub does not know yet (its record not pushed: the next round's pass
// takes it) or that fails; a file no longer on the desk is skipped.
func (l *Link) uploadPending(ctx context.Context) (int, error) {
	recs, err := l.st.AllRecordings()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if !r.Uploaded.IsZero() {
			continue
		}
		wav, err := l.st.ReadRecordingFile(filepath.Join(l.recDir, r.File))
		if errors.Is(err, os.ErrNotExist) {
			continue // removed, or never kept (the hub cannot have it either)
		}
		if err != nil {
			return n, err
		}
		uctx, cancel := context.WithTimeout(ctx, uploadTimeout)
		_, err = l.c.UploadRecording(uctx, r.ID, bytes.NewReader(wav))
		cancel()
		switch {
		case errors.Is(err, upstream.ErrConflict):
			// The hub holds other audio under this ID: never overwritten; say so once.
			l.log.Warn("the hub holds other audio for this recording; kept on the desk only", "recording", r.ID)
		case err != nil:
			return n, err
		}
		if err := l.markUploaded(r); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (l *Link) markUploaded(r agent.Recording) error {
	now := time.Now()
	r.Uploaded = now
	return l.st.PutRecording(&r, now)
}

var _ desk.RecordingHub = (*Link)(nil)

// hubRecordingsLimit bounds one listing on the board.
const hubRecordingsLimit = 200

// HubRecordings implements desk.RecordingHub.
func (l *Link) HubRecordings(ctx context.Context, agentNumber string, from, to time.Time) ([]desk.HubRecording, error) {
	list, err := l.c.Recordings(ctx, upstream.RecordingQuery{Agent: agentNumber, From: from, To: to, Limit: hubRecordingsLimit})
	if err != nil {
		return nil, hubErr(err)
	}
	out := make([]desk.HubRecording, 0, len(list.Recordings))
	for _, r := range list.Recordings {
		out = append(out, desk.HubRecording{ID: r.ID, Agent: r.Agent, CallID: r.CallID, Started: r.Started,
			Duration: r.Duration.Duration(), Audio: r.Audio})
	}
	return out, nil
}

// FetchRecording implements desk.RecordingHub: the audio in memory (a
// recording is a few MB), checked against the hub's size and SHA-256.
func (l *Link) FetchRecording(ctx context.Context, id string) ([]byte, error) {
	var b bytes.Buffer
	if _, err := l.c.FetchRecording(ctx, id, &b); err != nil {
		return nil, hubErr(err)
	}
	return b.Bytes(), nil
}
