package upstream

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// The handlers of script packs: the live pack desks pull, publishing a
// version for review, history, one version, its diff against the live one,
// review and rollback.

func (s *Server) latestPack(w http.ResponseWriter, r *http.Request, _ Principal) {
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "zh-Hans"
	}
	if err := checkText("lang", lang, true); err != nil {
		s.fail(w, r, err)
		return
	}
	pk, err := s.b.LatestPack(r.Context(), lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pk)
}

func (s *Server) publishPack(w http.ResponseWriter, r *http.Request, p Principal) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "pack.toml"
	}
	if err := checkText("name", name, true); err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPackBytes))
	if err != nil {
		writeBodyError(w, err)
		return
	}
	lang := r.URL.Query().Get("lang")
	if s.validate != nil {
		got, err := s.validate(name, data)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: pack does not validate:\n%v", ErrInvalid, err))
			return
		}
		if lang != "" && got != "" && got != lang {
			s.fail(w, r, fmt.Errorf("%w: pack is %s, not %s", ErrInvalid, got, lang))
			return
		}
		if got != "" {
			lang = got
		}
	}
	if err := checkText("lang", lang, true); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.b.PublishPack(r.Context(), p, Pack{Lang: lang, Name: name, Data: data, PublishedAt: s.clock.Now(), PublishedBy: p.Name})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("pack published for review", "pack_version", v.Version, "lang", v.Lang, "by", p.Name)
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) packHistory(w http.ResponseWriter, r *http.Request, _ Principal) {
	lang := r.URL.Query().Get("lang")
	if err := checkText("lang", lang, false); err != nil {
		s.fail(w, r, err)
		return
	}
	vs, err := s.b.PackHistory(r.Context(), lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if vs == nil {
		vs = []PackVersion{}
	}
	writeJSON(w, http.StatusOK, vs)
}

// versionOf reads the {version} of the path.
func versionOf(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%w: pack version %q is not a positive number", ErrInvalid, r.PathValue("version"))
	}
	return v, nil
}

func (s *Server) packVersion(w http.ResponseWriter, r *http.Request, _ Principal) {
	id, err := versionOf(r)
	if err == nil {
		var v PackVersion
		if v, err = s.b.Pack(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) packDiff(w http.ResponseWriter, r *http.Request, _ Principal) {
	id, err := versionOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.b.Pack(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	live, err := s.b.LatestPack(r.Context(), v.Lang)
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	liveName := "/dev/null"
	if live.ID != 0 {
		liveName = fmt.Sprintf("v%d %s (live)", live.ID, live.Name)
	}
	writeJSON(w, http.StatusOK, PackDiff{Version: v.Version, Lang: v.Lang, Live: live.ID,
		Diff: LineDiff(liveName, live.Data, fmt.Sprintf("v%d %s", v.Version, v.Name), v.Data)})
}

func (s *Server) reviewPack(w http.ResponseWriter, r *http.Request, p Principal) {
	id, err := versionOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rv PackReview
	if !decodeBody(w, r, maxReviewBody, &rv) {
		return
	}
	v, err := s.b.ReviewPack(r.Context(), p, id, rv, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("pack reviewed", "pack_version", v.Version, "lang", v.Lang, "state", v.State, "by", p.Name, "live", v.Live)
	writeJSON(w, http.StatusOK, v)
}

// rollbackPack validates the old text again, as desks will parse it now,
// before it is made live: a parser that became stricter since would
// otherwise have every desk refuse the rolled-back pack.
func (s *Server) rollbackPack(w http.ResponseWriter, r *http.Request, p Principal) {
	id, err := versionOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rb PackRollback
	if !decodeBody(w, r, maxReviewBody, &rb) {
		return
	}
	old, err := s.b.Pack(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.validate != nil {
		if _, err := s.validate(old.Name, old.Data); err != nil {
			s.fail(w, r, fmt.Errorf("%w: version %d no longer validates:\n%v", ErrInvalid, id, err))
			return
		}
	}
	v, err := s.b.RollbackPack(r.Context(), p, id, rb.Reason, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("pack rolled back", "pack_version", v.Version, "rollback_of", id, "lang", v.Lang, "by", p.Name)
	writeJSON(w, http.StatusCreated, v)
}
