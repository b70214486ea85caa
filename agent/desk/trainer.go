package desk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"agentdesk/scripts"
)

// PreviewRequest is the caller and instant a trainer previews a pack for.
type PreviewRequest struct {
	At               time.Time
	Surname, Title   string
	Silent, Outbound bool
}

// PackProblem is a pack validation problem at its line (1-based; 0 when
// the problem has no line).
type PackProblem struct {
	Line int
	Msg  string
}

// PackText is the pack a trainer starts editing in lang: the one the desk
// uses now (a published or configured one), else the embedded default, and
// the file it came from ("" when embedded or published).
func (d *Desk) PackText(lang string) (path, text string, err error) {
	if p := d.packFor(lang); p != nil && p.File() != "" && p.Lang() == lang {
		if b, err := os.ReadFile(p.File()); err == nil {
			return p.File(), string(b), nil
		}
	}
	b, err := scripts.DefaultPackFile(lang)
	if err != nil {
		return "", "", fmt.Errorf("pack text %s: %w", lang, err)
	}
	return "", string(b), nil
}

// PreviewPack parses text and renders its opening for req, or returns
// every validation problem at its line.
func (d *Desk) PreviewPack(text string, req PreviewRequest) (string, []PackProblem) {
	p, err := scripts.Parse("pack.toml", []byte(text))
	if err != nil {
		return "", packProblems(err)
	}
	s, err := p.Opening(scripts.OpeningRequest{At: req.At, Silent: req.Silent, Outbound: req.Outbound,
		Caller:    scripts.Party{Surname: req.Surname, Title: req.Title},
		AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber})
	if err != nil {
		return s, []PackProblem{{Msg: err.Error()}}
	}
	return s, nil
}

func packProblems(err error) []PackProblem {
	var pe scripts.PackErrors
	if errors.As(err, &pe) {
		out := make([]PackProblem, len(pe))
		for i, e := range pe {
			out[i] = PackProblem{Line: e.Line, Msg: e.Msg}
		}
		return out
	}
	var one *scripts.PackError
	if errors.As(err, &one) {
		return []PackProblem{{Line: one.Line, Msg: one.Msg}}
	}
	return []PackProblem{{Msg: err.Error()}}
}

// ErrPackInvalid is returned when a pack to save or publish does not
// validate; the error also holds scripts' own problems.
var ErrPackInvalid = errors.New("script pack does not validate")

// SavePackFile validates text and writes it to path (atomically: a
// partly written pack never replaces a good one).
func (d *Desk) SavePackFile(path, text string) error {
	if path == "" {
		return errors.New("save pack: no file name")
	}
	if _, err := scripts.Parse(filepath.Base(path), []byte(text)); err != nil {
		return fmt.Errorf("save pack %s: %w: %w", path, ErrPackInvalid, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	return nil
}

// PublishPack validates text and sends it through the hub.
func (d *Desk) PublishPack(ctx context.Context, text string) (PackVersion, error) {
	if d.hub == nil {
		return PackVersion{}, ErrNeedsHub
	}
	if _, err := scripts.Parse("pack.toml", []byte(text)); err != nil {
		return PackVersion{}, fmt.Errorf("publish: %w: %w", ErrPackInvalid, err)
	}
	return d.hub.Publish(ctx, "pack.toml", []byte(text))
}
