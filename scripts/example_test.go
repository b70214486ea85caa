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
