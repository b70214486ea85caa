package scripts

import (
	"strings"
	"testing"
)

// The zh-Hant pack is Taiwan's, not a character conversion of the
// Mainland one; the en pack is call-center English.
func TestDefault_LocaleTerms(t *testing.T) {
	tests := []struct {
		lang  string
		never []string // anywhere in the file, comments included
		must  []string
	}{
		{"zh-Hant",
			[]string{"普通話", "普通话", "話務員", "话务员", "部門領導", "部门领导", "我公司", "查找", "坐席", "工號", "工号", "上級部門", "國慶節", "信息", "質量", "Asia/Shanghai"},
			[]string{"國語", "客服人員", "主管", "本公司", "查詢", "國慶日快樂", `date = "10-10"`, "Asia/Taipei", "新年快樂"}},
		{"en",
			[]string{"Mandarin", "department concerned", "sir or madam", "Spring Festival"},
			[]string{"Happy Lunar New Year", "our management team", "Happy National Day"}},
		// zh-Hans keeps the seed's own phrases (DOMAIN.md §2–§5).
		{"zh-Hans",
			[]string{"國", "sir"},
			[]string{"我没有听清楚，请您讲普通话好吗？麻烦您再讲一遍，以免延误您的服务", "新年好！{{company}}客服中心，请问有什么可以帮您！",
				"您好，{{company}}客服中心，欢迎您的来电。", "对不起，让您久等了，我尽快帮您处理。", "您对我们的服务有什么建议吗？",
				"重大投诉，必须马上报告部门领导。", "感谢您对我公司的支持和信任"}},
	}
	for _, tt := range tests {
		src := string(defaultFile(t, tt.lang))
		for _, w := range tt.never {
			if strings.Contains(src, w) {
				t.Errorf("%s pack says %q (line %d)", tt.lang, w, lineOf(t, src, w))
			}
		}
		for _, w := range tt.must {
			if !strings.Contains(src, w) {
				t.Errorf("%s pack lacks %q", tt.lang, w)
			}
		}
	}
}
