package ui

// Langs are the languages the window can switch between live.
var Langs = []string{"zh-Hans", "zh-Hant", "en"}

// langIndex maps a language tag to its column in messages.
func langIndex(lang string) int {
	switch lang {
	case "zh-Hant":
		return 1
	case "en":
		return 2
	}
	return 0
}

// messages are the window's own labels: zh-Hans, zh-Hant, en. Script texts
// (openings, phrases) come from the script pack, not from here.
var messages = map[string][3]string{
	"app.title":        {"坐席工作台", "坐席工作台", "Agent desk"},
	"tab.desk":         {"接听", "接聽", "Desk"},
	"tab.supervisor":   {"班长", "班長", "Supervisor"},
	"tab.trainer":      {"培训", "培訓", "Trainer"},
	"tab.settings":     {"设置", "設定", "Settings"},
	"status.pbx":       {"话机", "話機", "Phone"},
	"pbx.registered":   {"已注册", "已註冊", "registered"},
	"pbx.failed":       {"注册失败", "註冊失敗", "not registered"},
	"pbx.practice":     {"练习话机", "練習話機", "practice phone"},
	"pbx.connecting":   {"连接中", "連線中", "connecting"},
	"status.sync":      {"同步", "同步", "Sync"},
	"sync.none":        {"未连接中心", "未連接中心", "no hub"},
	"sync.ok":          {"已同步", "已同步", "in sync"},
	"sync.pending":     {"待同步 %d 条", "待同步 %d 筆", "%d waiting"},
	"sync.offline":     {"离线", "離線", "offline"},
	"status.agent":     {"状态", "狀態", "State"},
	"agent.available":  {"空闲", "空閒", "available"},
	"agent.ringing":    {"振铃", "振鈴", "ringing"},
	"agent.on_call":    {"通话中", "通話中", "on a call"},
	"agent.wrap_up":    {"话后整理", "話後整理", "wrap-up"},
	"agent.break":      {"小休", "小休", "break"},
	"break.meal":       {"用餐", "用餐", "meal"},
	"break.rest":       {"休息", "休息", "rest"},
	"break.training":   {"培训", "培訓", "training"},
	"break.meeting":    {"会议", "會議", "meeting"},
	"break.pick":       {"小休原因", "小休原因", "Break reason"},
	"caller.unknown":   {"未知来电", "未知來電", "Unknown caller"},
	"caller.anonymous": {"隐藏号码", "隱藏號碼", "Withheld number"},
	"caller.member":    {"会员", "會員", "Member"},
	"caller.nonmember": {"非会员", "非會員", "Not a member"},
	"caller.open":      {"未结投诉 %d", "未結投訴 %d", "Open complaints: %d"},
	"caller.overdue":   {"已逾期 %d", "已逾期 %d", "Overdue: %d"},
	"caller.lastcalls": {"最近来电", "最近來電", "Last calls"},
	"caller.callbacks": {"待回访 %d", "待回訪 %d", "Callbacks due: %d"},
	"caller.none":      {"暂无来电", "暫無來電", "No call"},
	"ring.timer":       {"振铃 %d 秒 / %d 秒", "振鈴 %d 秒 / %d 秒", "Ringing %ds of %ds"},
	"ring.late":        {"已超过三声！请立即接听", "已超過三聲！請立即接聽", "Past the third ring, answer now!"},
	"call.talking":     {"通话 %s", "通話 %s", "Talking %s"},
	"call.held":        {"保持中", "保持中", "On hold"},
	"opening":          {"开头语", "開頭語", "Opening line"},
	"btn.answer":       {"接听 (F2)", "接聽 (F2)", "Answer (F2)"},
	"btn.hangup":       {"挂断 (F3)", "掛斷 (F3)", "Hang up (F3)"},
	"btn.hold":         {"保持 (F4)", "保持 (F4)", "Hold (F4)"},
	"btn.resume":       {"恢复 (F4)", "恢復 (F4)", "Resume (F4)"},
	"btn.transfer":     {"转接 (F6)", "轉接 (F6)", "Transfer (F6)"},
	"btn.mute":         {"静音 (F7)", "靜音 (F7)", "Mute (F7)"},
	"btn.unmute":       {"取消静音 (F7)", "取消靜音 (F7)", "Unmute (F7)"},
	"btn.keypad":       {"拨号盘 (F8)", "撥號盤 (F8)", "Keypad (F8)"},
	"btn.complaint":    {"登记投诉 (F9)", "登記投訴 (F9)", "Complaint (F9)"},
	"btn.ok":           {"确定", "確定", "OK"},
	"btn.cancel":       {"取消", "取消", "Cancel"},
	"btn.close":        {"关闭", "關閉", "Close"},
	"btn.next":         {"下一步", "下一步", "Next"},
	"btn.back":         {"上一步", "上一步", "Back"},
	"btn.save":         {"保存", "儲存", "Save"},
	"btn.search":       {"查找", "查找", "Search"},
	"btn.run":          {"开始自检", "開始自檢", "Run self-check"},
	"transfer.target":  {"转接到（分机或号码）", "轉接到（分機或號碼）", "Transfer to (extension or number)"},
	"hangup.reminder":  {"请让客户先挂机", "請讓客戶先掛機", "Let the caller hang up first"},
	"hangup.confirm":   {"客户还在线上。确定要先挂断吗？", "客戶還在線上。確定要先掛斷嗎？", "The caller is still on the line. Hang up first anyway?"},
	"phrases":          {"话术", "話術", "Phrase book"},
	"phrases.never":    {"禁语：", "禁語：", "Never say: "},
	"wiz.title":        {"投诉登记：五清楚，一报告", "投訴登記：五清楚，一報告", "Complaint: five clears, one report"},
	"wiz.listen":       {"1 听清楚", "1 聽清楚", "1 Listen clearly"},
	"wiz.listen.hint":  {"让客户说完，不打断，不轻易承诺。记录客户原话。", "讓客戶說完，不打斷，不輕易承諾。記錄客戶原話。", "Let the caller finish; no interrupting, no hasty promises. Their words:"},
	"wiz.ask":          {"2 问清楚", "2 問清楚", "2 Ask clearly"},
	"wiz.ask.hint":     {"问清事实：什么事、何时、何地、哪个产品/订单/地址，客户的要求。", "問清事實：什麼事、何時、何地、哪個產品/訂單/地址，客戶的要求。", "The facts: what, when, where, which product/order/address."},
	"wiz.ask.wish":     {"客户的要求", "客戶的要求", "What the caller wants"},
	"wiz.follow":       {"3 跟清楚", "3 跟清楚", "3 Follow clearly"},
	"wiz.follow.hint":  {"跟进到底。不能当场解决的，与客户约定答复时间。", "跟進到底。不能當場解決的，與客戶約定答覆時間。", "Own it to the end; if not solved now, agree the reply time."},
	"wiz.simple":       {"简单投诉（2小时内答复）", "簡單投訴（2小時內答覆）", "Simple (reply within 2 hours)"},
	"wiz.complex":      {"复杂投诉（24小时内答复）", "複雜投訴（24小時內答覆）", "Complex (reply within 24 hours)"},
	"wiz.solved":       {"已在通话中解决", "已在通話中解決", "Solved on this call"},
	"wiz.reply":        {"4 复清楚", "4 復清楚", "4 Reply clearly"},
	"wiz.reply.hint":   {"处理后告知客户过程和结果。", "處理後告知客戶過程和結果。", "Once handled, tell the caller the process and the result."},
	"wiz.record":       {"5 记清楚", "5 記清楚", "5 Record clearly"},
	"wiz.record.hint":  {"记录事情、处理过程和结果。", "記錄事情、處理過程和結果。", "Record the matter, the handling and the result."},
	"wiz.report":       {"报告", "報告", "Report"},
	"wiz.major":        {"重大投诉：立即报告部门领导", "重大投訴：立即報告部門領導", "Major: report to the department leader at once"},
	"wiz.readback":     {"请向客户复述并确认：“是这样的吗？”", "請向客戶複述並確認：「是這樣的嗎？」", "Read it back to the caller: \"Is that right?\""},
	"wiz.confirmed":    {"客户已确认复述内容", "客戶已確認複述內容", "The caller confirmed the read-back"},
	"wiz.missing":      {"尚缺：", "尚缺：", "Still missing: "},
	"wiz.complete":     {"各步骤已齐全", "各步驟已齊全", "Every step has its content"},
	"wiz.saved":        {"投诉已保存", "投訴已儲存", "Complaint saved"},
	"wiz.deadline":     {"答复期限：%s", "答覆期限：%s", "Reply due: %s"},
	"callbacks":        {"待回访", "待回訪", "Callbacks due"},
	"callbacks.quiet":  {"休息时段，暂不拨打（%s）", "休息時段，暫不撥打（%s）", "Quiet hours, no calls now (%s)"},
	"callbacks.dial":   {"拨打", "撥打", "Dial"},
	"log":              {"通话记录", "通話記錄", "Call log"},
	"customers":        {"客户", "客戶", "Customers"},
	"customers.query":  {"姓名或电话", "姓名或電話", "Name or phone"},
	"stats":            {"今日统计", "今日統計", "Today"},
	"stats.line":       {"呼入 %d  呼出 %d  未接 %d  三声内接听 %d%%  投诉 %d", "呼入 %d  呼出 %d  未接 %d  三聲內接聽 %d%%  投訴 %d", "In %d  Out %d  Missed %d  Answered by 3rd ring %d%%  Complaints %d"},
	"notify.ring":      {"来电振铃", "來電振鈴", "Incoming call"},
	"set.lang":         {"语言", "語言", "Language"},
	"set.theme":        {"外观", "外觀", "Theme"},
	"theme.system":     {"跟随系统", "跟隨系統", "system"},
	"theme.light":      {"浅色", "淺色", "light"},
	"theme.dark":       {"深色", "深色", "dark"},
	"set.pbx":          {"话机账号（SIP URI）", "話機帳號（SIP URI）", "PBX account (SIP URI)"},
	"set.user":         {"分机", "分機", "Extension"},
	"set.password":     {"密码", "密碼", "Password"},
	"set.hub":          {"中心地址", "中心地址", "Hub address"},
	"set.token":        {"中心令牌", "中心權杖", "Hub token"},
	"set.tz":           {"时区", "時區", "Time zone"},
	"set.data":         {"数据文件夹", "資料夾", "Data folder"},
	"set.agent":        {"坐席姓名 / 工号", "坐席姓名 / 工號", "Agent name / number"},
	"set.saved":        {"设置已保存，话机和中心的更改在重启后生效", "設定已儲存，話機和中心的變更在重新啟動後生效", "Saved. Phone and hub changes apply after a restart."},
	"set.practice":     {"未配置话机：使用练习话机", "未設定話機：使用練習話機", "No PBX configured: using the practice phone"},
	"check":            {"班前自检", "班前自檢", "Pre-shift self-check"},
	"check.ok":         {"正常", "正常", "ok"},
	"check.fail":       {"异常", "異常", "failed"},
	"check.skip":       {"未配置", "未設定", "not configured"},
	"sup.agents":       {"坐席", "坐席", "Agents"},
	"sup.calls":        {"进行中的通话", "進行中的通話", "Calls in progress"},
	"sup.major":        {"重大投诉报告", "重大投訴報告", "Major complaint reports"},
	"sup.overdue":      {"逾期未答复", "逾期未答覆", "Overdue replies"},
	"sup.source.local": {"数据来源：本机（未连接中心）", "資料來源：本機（未連接中心）", "Source: this desk (no hub)"},
	"sup.source.hub":   {"数据来源：中心", "資料來源：中心", "Source: the hub"},
	"sup.none":         {"无", "無", "none"},
	"tr.pack":          {"话术包", "話術包", "Script pack"},
	"tr.preview":       {"预览", "預覽", "Preview"},
	"tr.at":            {"日期时间（RFC3339）", "日期時間（RFC3339）", "Date and time (RFC3339)"},
	"tr.surname":       {"客户姓氏", "客戶姓氏", "Caller surname"},
	"tr.title":         {"称谓", "稱謂", "Title"},
	"tr.valid":         {"话术包有效", "話術包有效", "The pack is valid"},
	"tr.publish":       {"发布", "發佈", "Publish"},
	"tr.needshub":      {"发布需要连接中心（尚未配置）", "發佈需要連接中心（尚未設定）", "Publishing needs a hub (none configured)"},
	"tr.saved":         {"已保存到 %s", "已儲存到 %s", "Saved to %s"},
	"err.generic":      {"操作失败，请重试", "操作失敗，請重試", "That did not work, please try again"},
	"err.nocall":       {"当前没有通话", "目前沒有通話", "There is no call"},
	"err.quiet":        {"休息时段不能拨打回访电话", "休息時段不能撥打回訪電話", "Callbacks cannot be dialled in quiet hours"},
	"err.save":         {"保存失败，未保存任何内容", "儲存失敗，未儲存任何內容", "Saving failed; nothing was saved"},
}

// tr looks id up in lang; an unknown id shows itself so a gap is visible.
func tr(lang, id string) string {
	m, ok := messages[id]
	if !ok {
		return id
	}
	return m[langIndex(lang)]
}

func init() {
	for id, m := range map[string][3]string{
		"agent.offline":   {"离线", "離線", "offline"},
		"break.coaching":  {"辅导", "輔導", "coaching"},
		"break.paperwork": {"文书", "文書", "paperwork"},
		"check.pbx":       {"话机可达并已注册", "話機可達並已註冊", "PBX reachable and registered"},
		"check.data":      {"数据文件可写", "資料檔可寫", "Data file writable"},
		"check.hub":       {"中心可达", "中心可達", "Hub reachable"},
		"check.outbox":    {"待同步记录", "待同步記錄", "Records waiting to sync"},
		"check.clock":     {"时钟偏差", "時鐘偏差", "Clock offset"},
	} {
		messages[id] = m
	}
}

func init() {
	for id, m := range map[string][3]string{
		"wiz.major":       {"重大投诉（立即报告部门领导）", "重大投訴（立即報告部門領導）", "Major (reported to the department leader at once)"},
		"wiz.accepted":    {"客户接受答复", "客戶接受答覆", "The caller accepted the reply"},
		"wiz.f.statement": {"客户原话", "客戶原話", "The caller's words"},
		"wiz.f.what":      {"什么事", "什麼事", "What happened"},
		"wiz.f.when":      {"何时", "何時", "When"},
		"wiz.f.where":     {"何地", "何地", "Where"},
		"wiz.f.subject":   {"产品 / 订单 / 地址", "產品 / 訂單 / 地址", "Product / order / address"},
		"wiz.f.how":       {"答复方式（电话、短信…）", "答覆方式（電話、簡訊…）", "How the caller was told (phone, SMS…)"},
		"wiz.f.said":      {"告知的过程和结果", "告知的過程和結果", "What was said: process and result"},
		"wiz.f.matter":    {"事情", "事情", "The matter"},
		"wiz.f.process":   {"处理过程", "處理過程", "The handling"},
		"wiz.f.result":    {"结果", "結果", "The result"},
	} {
		messages[id] = m
	}
}
