package desk

import (
	"errors"
	"fmt"
	"log/slog"

	"agentdesk/agent/store"
	"agentdesk/scripts"
)

// Packs are the script packs a desk uses, by language, with what each is.
type Packs struct {
	Packs map[string]*scripts.Pack
	Info  map[string]PackInfo
}

// LoadPacks finds the pack of every language the way every desk does (the
// window, the pop pipeline and deskctl greet alike): the trainer's file
// named in the config wins, then the newest pack published on the hub and
// kept in the store, then the embedded default. A stored pack that no
// longer parses (written by an older desk) is skipped with a warning: the
// desk keeps working on the next one.
func LoadPacks(cfg Config, st *store.Store, log *slog.Logger) (Packs, error) {
	if log == nil {
		log = slog.Default()
	}
	out := Packs{Packs: map[string]*scripts.Pack{}, Info: map[string]PackInfo{}}
	for _, l := range scripts.Langs() {
		p, err := scripts.Default(l)
		if err != nil {
			return out, fmt.Errorf("embedded %s pack: %w", l, err)
		}
		out.Packs[l], out.Info[l] = p, PackInfo{Lang: l}
		if st == nil {
			continue
		}
		sp, err := st.LatestPack(l)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return out, fmt.Errorf("published %s pack: %w", l, err)
		default:
			pub, perr := scripts.Parse(sp.Name, sp.Data)
			if perr != nil || pub.Lang() != l {
				log.Warn("published pack not usable; keeping the embedded one", "lang", l, "pack_id", sp.ID, "error", perr)
				continue
			}
			out.Packs[l], out.Info[l] = pub, PackInfo{Lang: l, Name: sp.Name, Version: sp.ID}
		}
	}
	if cfg.Pack != "" {
		p, err := scripts.LoadFile(cfg.Pack)
		if err != nil {
			return out, fmt.Errorf("config pack: %w", err)
		}
		out.Packs[p.Lang()], out.Info[p.Lang()] = p, PackInfo{Lang: p.Lang(), Name: cfg.Pack}
	}
	return out, nil
}
