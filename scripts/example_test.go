package scripts_test

import (
	"fmt"
	"strings"
	"time"

	"agentdesk/scripts"
)

func ExampleDefault() {
	p, err := scripts.Default("zh-Hans")
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"2026-11-23T09:30:00+08:00", "2026-11-23T15:00:00+08:00", "2026-10-01T09:00:00+08:00"} {
		at, _ := time.Parse(time.RFC3339, s)
		line, _ := p.Opening(scripts.OpeningRequest{At: at})
		fmt.Println(line)
	}
	// Output:
	// 早上好！XX欢迎您的来电，请问有什么可以帮您？
	// 您好！XX欢迎您的来电，请问有什么可以帮您？
	// 国庆节快乐！XX客服中心，请问有什么可以帮您！
}

func ExampleParse() {
	pack, _ := scripts.DefaultPackFile("zh-Hans")
	broken := strings.Replace(string(pack), `to = "24:00"`, `to = "25:00"`, 1)
	_, err := scripts.Parse("pack.toml", []byte(broken))
	fmt.Println(err)
	// Output:
	// pack.toml:34: bad time slot: "25:00" is not a time of day (00:00 to 24:00)
}

func ExampleLunarNewYear() {
	d, _ := scripts.LunarNewYear(2027)
	fmt.Println(d)
	// Output: 2027-02-06
}

func ExamplePack_Render() {
	p, _ := scripts.Default("zh-Hans")
	line := "很抱歉，{{if salutation}}{{salutation}}，{{end}}我们会在{{reply_hours}}小时之内给您答复。"
	for _, caller := range []scripts.Party{{Surname: "王", Title: "先生"}, {}} {
		s, err := p.Render(line, scripts.Request{Caller: caller})
		fmt.Println(s, err != nil)
	}
	s, _ := p.Render(line, scripts.Request{ReplyHours: 2})
	fmt.Println(s)
	// Output:
	// 很抱歉，王先生，我们会在【答复时限】小时之内给您答复。 true
	// 很抱歉，我们会在【答复时限】小时之内给您答复。 true
	// 很抱歉，我们会在2小时之内给您答复。
}

func ExampleReadForm() {
	data, _ := scripts.DefaultPackFile("zh-Hant")
	f, _ := scripts.ReadForm("zh-Hant.toml", data)
	f.Company = "西太平洋物業"
	f.Holidays = append(f.Holidays, scripts.FormHoliday{ID: "dragon_boat", Name: "端午節",
		Greeting: "端午節快樂！{{company}}客服中心，請問有什麼可以為您服務？", Lunar: "05-05"})
	p, err := f.Check("zh-Hant.toml")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 6, 19, 10, 0, 0, 0, p.TimeZone())
	line, _ := p.Opening(scripts.Request{At: at})
	fmt.Println(line)
	// Output: 端午節快樂！西太平洋物業客服中心，請問有什麼可以為您服務？
}

func ExamplePack_Preview() {
	p, _ := scripts.Default("en")
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, p.TimeZone())
	pv := p.Preview(scripts.SampleRequest("en", at, scripts.CallerAnonymous))
	fmt.Println(pv.Opening.Outbound.Text)
	fmt.Println(pv.Callback[0].Say.Text)
	fmt.Println(pv.Closing.HangUpFirst)
	// Output:
	// Hello, this is Li Na calling from the XX customer service center. Thank you for being our customer; I'm calling to confirm a few details with you.
	// Hello, this is XX customer service. Sorry to bother you.
	// Let the caller hang up first.
}

func ExamplePack_YearCalendar() {
	p, _ := scripts.Default("zh-Hant")
	for _, d := range p.YearCalendar(2026) {
		if d.Kind != "standard" && d.Period.From == d.Date {
			fmt.Println(d.Date, d.Holiday.Name, d.Period.Days(), d.Period.Source)
		}
	}
	// Output:
	// 2026-01-01 元旦 1 rule
	// 2026-02-15 春節 5 rule
	// 2026-05-01 勞動節 1 rule
	// 2026-09-25 中秋節 1 rule
	// 2026-10-10 國慶日 1 rule
}
