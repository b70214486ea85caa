package scripts

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// varDoc describes a built-in variable: where its value comes from and, in
// each language family, a short label (the placeholder's text) and a
// description (for the editor's variable picker).
type varDoc struct {
	from   string    // VarInfo.From
	label  [3]string // zh-Hans, zh-Hant, en
	desc   [3]string
	sample [3]string
}

// Language families the built-in texts exist in, indexes of varDoc's arrays.
const (
	famHans = iota
	famHant
	famEn
)

// family maps a pack's lang to the language of built-in texts: zh-Hant,
// zh-TW, zh-HK and zh-MO read Traditional; other zh… Simplified; anything
// else English.
func family(lang string) int {
	l := strings.ToLower(lang)
	switch {
	case strings.HasPrefix(l, "zh-hant"), l == "zh-tw", l == "zh-hk", l == "zh-mo":
		return famHant
	case l == "zh" || strings.HasPrefix(l, "zh-"):
		return famHans
	}
	return famEn
}

// Variables the scripts may use. A pack's [vars] table adds its own.
var builtinVars = map[string]varDoc{
	"company": {"pack",
		[3]string{"公司名称", "公司名稱", "company name"},
		[3]string{"公司或客服中心的名称（本话术包的 company）", "公司或客服中心的名稱（本話術包的 company）", "the company or center name (company = … in this pack)"},
		[3]string{"XX", "XX", "XX"}},
	"greeting": {"clock",
		[3]string{"问候语", "問候語", "greeting"},
		[3]string{"按时段的问候语：早上好！或您好！（本话术包的 [[slots]]）", "按時段的問候語：早安！或您好！（本話術包的 [[slots]]）", "the time-of-day greeting, Good morning! or Hello! (this pack's [[slots]])"},
		[3]string{"早上好！", "早安！", "Good morning!"}},
	"holiday": {"clock",
		[3]string{"节日名称", "節日名稱", "holiday"},
		[3]string{"当天节日的名称（没有节日时无值）", "當天節日的名稱（沒有節日時無值）", "the name of today's holiday (no value on other days)"},
		[3]string{"国庆节", "國慶日", "National Day"}},
	"salutation": {"caller",
		[3]string{"客户称呼", "客戶稱呼", "caller's name"},
		[3]string{"对来电人的称呼：王先生、王先生/女士（只知道姓）、先生（只知道称谓）；来电人不愿告知时为“您”，这时 {{if salutation}} 不成立",
			"對來電者的稱呼：王先生、王先生/小姐（只知道姓）、先生（只知道稱謂）；來電者不願告知時為「您」，這時 {{if salutation}} 不成立",
			"how to address the caller: Mr. Wang, Mr./Ms. Wang (surname only), sir (title only); none for an anonymous caller, when {{if salutation}} does not hold"},
		[3]string{"王先生", "王先生", "Mr. Wang"}},
	"surname": {"caller",
		[3]string{"客户姓氏", "客戶姓氏", "caller's surname"},
		[3]string{"来电人的姓氏；{{if surname}} 用在需要姓名的问句（请问您是…吗）", "來電者的姓氏；{{if surname}} 用在需要姓名的問句（請問您是…嗎）", "the caller's surname; use {{if surname}} around questions that need a name (Am I speaking with …?)"},
		[3]string{"王", "王", "Wang"}},
	"title": {"caller",
		[3]string{"称谓", "稱謂", "title"},
		[3]string{"来电人的称谓（先生/女士）", "來電者的稱謂（先生/小姐）", "the caller's title (Mr./Ms.)"},
		[3]string{"先生", "先生", "Mr."}},
	"agent_name": {"agent",
		[3]string{"本人姓名", "本人姓名", "your name"},
		[3]string{"客服人员本人的姓名（桌面设置）", "客服人員本人的姓名（桌面設定）", "the agent's own name (desk settings)"},
		[3]string{"李娜", "李娜", "Li Na"}},
	"agent_surname": {"agent",
		[3]string{"本人姓氏", "本人姓氏", "your surname"},
		[3]string{"客服人员本人的姓（姓名的第一个字）", "客服人員本人的姓（姓名的第一個字）", "the agent's surname (the first character of a Chinese name, else the whole name)"},
		[3]string{"李", "李", "Li Na"}},
	"agent_number": {"agent",
		[3]string{"工号", "員工編號", "agent number"},
		[3]string{"客服人员的工号（桌面设置）", "客服人員的員工編號（桌面設定）", "the agent's number (desk settings)"},
		[3]string{"1024", "1024", "1024"}},
	"customer.name": {"caller",
		[3]string{"客户姓名", "客戶姓名", "customer's name"},
		[3]string{"客户档案里的全名", "客戶資料裡的全名", "the customer's full name from the customer file"},
		[3]string{"王建国", "王建國", "Wang Jianguo"}},
	"customer.surname": {"caller",
		[3]string{"客户姓氏", "客戶姓氏", "customer's surname"},
		[3]string{"客户的姓氏（同 {{surname}}）", "客戶的姓氏（同 {{surname}}）", "the customer's surname (as {{surname}})"},
		[3]string{"王", "王", "Wang"}},
	"customer.title": {"caller",
		[3]string{"称谓", "稱謂", "customer's title"},
		[3]string{"客户的称谓（同 {{title}}）", "客戶的稱謂（同 {{title}}）", "the customer's title (as {{title}})"},
		[3]string{"先生", "先生", "Mr."}},
	"customer.phone": {"caller",
		[3]string{"客户电话", "客戶電話", "customer's phone"},
		[3]string{"客户的电话号码", "客戶的電話號碼", "the customer's phone number"},
		[3]string{"13800138000", "0912345678", "13800138000"}},
	"customer.member_level": {"caller",
		[3]string{"会员等级", "會員等級", "member level"},
		[3]string{"客户的会员等级", "客戶的會員等級", "the customer's member level"},
		[3]string{"金卡", "金卡", "Gold"}},
	"service": {"callback",
		[3]string{"服务项目", "服務項目", "service"},
		[3]string{"回访所针对的服务项目（回访任务）", "回訪所針對的服務項目（回訪任務）", "the service a callback is about (the callback task)"},
		[3]string{"上门保洁", "到府清潔", "home cleaning"}},
	"service_time": {"callback",
		[3]string{"服务时间", "服務時間", "service date"},
		[3]string{"客户接受该服务的日期，如 11月20日（回访任务）", "客戶接受該服務的日期，如 11月20日（回訪任務）", "when the customer received that service, like 20 November (the callback task)"},
		[3]string{"11月20日", "11月20日", "20 November"}},
	"reply_hours": {"complaint",
		[3]string{"答复时限", "答覆時限", "reply hours"},
		[3]string{"投诉答复的时限（小时）：简单投诉 2，复杂投诉 24（正在处理的投诉）", "客訴答覆的時限（小時）：簡單客訴 2，複雜客訴 24（正在處理的客訴）", "hours within which a complaint gets its answer: 2 for a simple one, 24 for a complex one (the complaint being worked on)"},
		[3]string{"24", "24", "24"}},
	"reply_by": {"complaint",
		[3]string{"答复时间", "答覆時間", "reply time"},
		[3]string{"与客户约定的下次答复时间，如 明天15:00（正在处理的投诉）", "與客戶約定的下次答覆時間，如 明天15:00（正在處理的客訴）", "the agreed time of the next reply, like 15:00 tomorrow (the complaint being worked on)"},
		[3]string{"明天15:00", "明天15:00", "15:00 tomorrow"}},
}

// Variables returns the names every pack may use, sorted.
func Variables() []string {
	names := make([]string, 0, len(builtinVars))
	for n := range builtinVars {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// VarInfo describes a variable for the editor's variable picker.
type VarInfo struct {
	Name string // as written between {{ }}
	// Key is a message id ("scripts.var.reply_hours") for a UI that
	// translates descriptions itself; Label and Description are already in
	// the language asked for.
	Key         string
	Label       string // short: the text of its placeholder
	Description string
	Example     string // a typical value
	// From says who supplies the value: "pack" (this pack's settings),
	// "clock" (the instant of the call), "caller" (the caller or customer),
	// "agent" (the desk's settings), "complaint" (the case being worked on),
	// "callback" (the callback task) or "own" (the pack's [vars]).
	From string
}

// VarInfos returns the built-in variables described in lang's language,
// sorted by name.
func VarInfos(lang string) []VarInfo {
	f := family(lang)
	out := make([]VarInfo, 0, len(builtinVars))
	for _, n := range Variables() {
		d := builtinVars[n]
		out = append(out, VarInfo{Name: n, Key: "scripts.var." + n, Label: d.label[f], Description: d.desc[f], Example: d.sample[f], From: d.from})
	}
	return out
}

// VarInfos returns the variables this pack's lines may use: the built-in
// ones in the pack's language, then the pack's own [vars] (their value is
// their example).
func (p *Pack) VarInfos() []VarInfo {
	out := VarInfos(p.lang)
	own := make([]string, 0, len(p.vars))
	for n := range p.vars {
		own = append(own, n)
	}
	sort.Strings(own)
	for _, n := range own {
		out = append(out, VarInfo{Name: n, Key: "scripts.var.own", Label: n, Description: p.vars[n], Example: p.vars[n], From: "own"})
	}
	return out
}

// Placeholder is the text a line shows for a variable with no value: its
// label between 【】 in Chinese ("【答复时限】", "【客戶稱呼】") and between [ ]
// otherwise ("[reply time]"); a pack's own variable shows its name. It never
// contains "{{".
func Placeholder(lang, name string) string {
	label := name
	if d, ok := builtinVars[name]; ok {
		label = d.label[family(lang)]
	}
	label = strings.NewReplacer("{", "", "}", "").Replace(label)
	if family(lang) == famEn {
		return "[" + label + "]"
	}
	return "【" + label + "】"
}

var (
	weekdaysHans = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
	weekdaysHant = [7]string{"週日", "週一", "週二", "週三", "週四", "週五", "週六"}
)

// formatWhen writes an agreed time the way an agent says it: "今天15:00",
// "明天15:00", "11月24日（周二）15:00" / "15:00 today", "15:00 on Tuesday 24
// November"; the year only when it is not now's. t and now are in the
// pack's zone; now may be zero.
func formatWhen(lang string, t, now time.Time) string {
	clock := t.Format("15:04")
	rel := 0 // 1 today, 2 tomorrow
	if !now.IsZero() {
		switch d := DateOf(t); d {
		case DateOf(now):
			rel = 1
		case DateOf(now).AddDays(1):
			rel = 2
		}
	}
	f := family(lang)
	if f == famEn {
		switch rel {
		case 1:
			return clock + " today"
		case 2:
			return clock + " tomorrow"
		}
		return clock + " on " + t.Weekday().String() + " " + formatDate(lang, t, now)
	}
	switch {
	case rel == 1:
		return "今天" + clock
	case rel == 2:
		return "明天" + clock
	}
	wd := weekdaysHans[t.Weekday()]
	if f == famHant {
		wd = weekdaysHant[t.Weekday()]
	}
	return formatDate(lang, t, now) + "（" + wd + "）" + clock
}

// formatDate writes a date: "11月20日" / "20 November", with the year when
// it is not now's (now may be zero).
func formatDate(lang string, t, now time.Time) string {
	withYear := !now.IsZero() && t.Year() != now.Year()
	if family(lang) == famEn {
		s := fmt.Sprintf("%d %s", t.Day(), t.Month())
		if withYear {
			s += fmt.Sprintf(" %d", t.Year())
		}
		return s
	}
	s := fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
	if withYear {
		s = fmt.Sprintf("%d年", t.Year()) + s
	}
	return s
}
