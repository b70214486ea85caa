package upstream

import (
	_ "embed"
	"html/template"
	"net/http"
	"strings"
)

// The wallboard: the live floor as a web page for the television on the
// wall (GET /wallboard?token=T[&lang=zh-Hans|zh-Hant|en]). Large type, no
// controls, read-only: only a token of role supervisor or wallboard opens
// it (any other, and an unknown or expired one, gets a 403 page that
// holds no data). The page follows the same board feed as the
// supervisors' window through GET /wallboard/stream?token=T (server-sent
// events: EventSource cannot send a header), always as a wallboard sees
// it (WallBoard: numbers masked, even for a supervisor whose role sees
// them in full elsewhere, and nothing of monitoring), and reconnects by
// itself when the stream drops or falls silent.

//go:embed wallboard.html
var wallboardHTML string

var wallboardPage = template.Must(template.New("wallboard").Parse(wallboardHTML))

// wallboardLabels are the page's words in each language; the first is
// the default.
var wallboardLabels = map[string]map[string]string{
	"zh-Hans": {
		"lang": "zh-CN", "title": "话务大厅实时看板", "ringing": "振铃", "talking": "通话中", "longest": "最长振铃",
		"over_limit": "话后处理超时", "overdue": "逾期未回复", "queues": "呼入号码",
		"queue": "号码", "agents": "坐席", "alerts": "重大投诉与升级", "none": "无", "updated": "更新于",
		"reconnecting": "连接中断，正在重新连接…", "ended": "看板令牌已失效", "forbidden": "无权查看看板",
		"forbidden_hint": "请使用主管或看板令牌打开此页面。", "major_complaint": "重大投诉", "escalation": "升级",
		"state_offline": "离线", "state_available": "空闲", "state_ringing": "振铃", "state_on_call": "通话中",
		"state_wrap_up": "话后处理", "state_break": "小休", "no_queue": "未分组", "overdue_by": "逾期",
	},
	"zh-Hant": {
		"lang": "zh-TW", "title": "話務大廳即時看板", "ringing": "振鈴", "talking": "通話中", "longest": "最長振鈴",
		"over_limit": "話後處理逾時", "overdue": "逾期未回覆", "queues": "來電號碼",
		"queue": "號碼", "agents": "座席", "alerts": "重大投訴與升級", "none": "無", "updated": "更新於",
		"reconnecting": "連線中斷，正在重新連線…", "ended": "看板權杖已失效", "forbidden": "無權查看看板",
		"forbidden_hint": "請使用主管或看板權杖開啟此頁面。", "major_complaint": "重大投訴", "escalation": "升級",
		"state_offline": "離線", "state_available": "空閒", "state_ringing": "振鈴", "state_on_call": "通話中",
		"state_wrap_up": "話後處理", "state_break": "小休", "no_queue": "未分組", "overdue_by": "逾期",
	},
	"en": {
		"lang": "en", "title": "Live floor", "ringing": "Ringing", "talking": "On call", "longest": "Longest ringing",
		"over_limit": "Wrap-up over limit", "overdue": "Replies overdue", "queues": "Numbers called",
		"queue": "Number", "agents": "Agents", "alerts": "Major complaints and escalations", "none": "None", "updated": "Updated",
		"reconnecting": "Connection lost, reconnecting…", "ended": "The wallboard token has ended", "forbidden": "Not allowed to view the wallboard",
		"forbidden_hint": "Open this page with a supervisor's or a wallboard token.", "major_complaint": "Major complaint", "escalation": "Escalation",
		"state_offline": "Offline", "state_available": "Available", "state_ringing": "Ringing", "state_on_call": "On call",
		"state_wrap_up": "Wrap-up", "state_break": "Break", "no_queue": "No queue", "overdue_by": "overdue",
	},
}

// wallboardLang is the language ?lang= names, zh-Hans by default.
func wallboardLang(r *http.Request) string {
	l := r.URL.Query().Get("lang")
	if _, ok := wallboardLabels[l]; ok {
		return l
	}
	return "zh-Hans"
}

// capture is a ResponseWriter that keeps only the status of what
// Authenticate answers, so a page can answer in its own words.
type capture struct {
	h      http.Header
	status int
}

func (c *capture) Header() http.Header         { return c.h }
func (c *capture) Write(b []byte) (int, error) { return len(b), nil }
func (c *capture) WriteHeader(status int)      { c.status = status }

// pageAuth authenticates the token a page was opened with (?token=) as
// every endpoint does, failed-auth limiter included, and says whether it
// may see the wallboard; status is what to answer when not.
func (s *Server) pageAuth(r *http.Request) (Principal, int, http.Header) {
	tok := r.URL.Query().Get("token")
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
	c := &capture{h: http.Header{}}
	p, ok := s.Authenticate(c, r2)
	switch {
	case !ok && c.status == http.StatusTooManyRequests:
		return p, c.status, c.h
	case !ok:
		return p, http.StatusForbidden, nil
	case p.Role != RoleSupervisor && p.Role != RoleWallboard:
		return p, http.StatusForbidden, nil
	}
	return p, http.StatusOK, nil
}

type wallboardData struct {
	Lang      string
	Labels    map[string]string
	Forbidden bool
	RefreshMS int64
}

func (s *Server) wallboard(w http.ResponseWriter, r *http.Request) {
	lang := wallboardLang(r)
	_, status, h := s.pageAuth(r)
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(status)
	d := wallboardData{Lang: lang, Labels: wallboardLabels[lang], Forbidden: status != http.StatusOK, RefreshMS: s.refresh.Milliseconds()}
	if err := wallboardPage.Execute(w, d); err != nil && r.Context().Err() == nil {
		s.log.Warn("wallboard page", "error", err)
	}
}

// wallboardStream is the wallboard's board stream: as /v1/stream, with
// the token in the query and numbers always masked.
func (s *Server) wallboardStream(w http.ResponseWriter, r *http.Request) {
	p, status, h := s.pageAuth(r)
	if status != http.StatusOK {
		for k, v := range h {
			w.Header()[k] = v
		}
		writeError(w, status, "this token may not read the wallboard")
		return
	}
	s.serveBoard(w, r, p, viewWall)
}
