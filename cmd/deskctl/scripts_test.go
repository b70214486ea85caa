package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScriptsValidate_DefaultPacks(t *testing.T) {
	for _, l := range []string{"zh-Hans", "zh-Hant", "en"} {
		file := filepath.Join("..", "..", "scripts", "packs", l+".toml")
		code, out, errOut := runScriptsCmd(t, "scripts", "validate", file)
		if code != 0 || !strings.Contains(out, "ok") || errOut != "" {
			t.Errorf("validate %s: exit %d, out %q, stderr %q", l, code, out, errOut)
		}
	}
}

func TestScriptsValidate_Broken(t *testing.T) {
	file := "testdata/scripts/broken.toml"
	code, out, errOut := runScriptsCmd(t, "scripts", "validate", file)
	if code == 0 {
		t.Fatalf("exit 0 on a broken pack; out %q", out)
	}
	for _, want := range []string{
		file + ":28: bad time slot",
		file + ":43: unknown variable {{compnay}} in opening.standard",
		file + ":78: holiday range is inverted",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestScriptsValidate_Errors(t *testing.T) {
	if code, _, _ := runScriptsCmd(t, "scripts", "validate"); code != 2 {
		t.Errorf("no file: exit %d, want 2 (usage)", code)
	}
	code, _, errOut := runScriptsCmd(t, "scripts", "validate", filepath.Join(t.TempDir(), "missing.toml"))
	if code == 0 || !strings.Contains(errOut, "missing.toml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	// Several files: every bad one is reported, the good ones say ok.
	code, out, errOut := runScriptsCmd(t, "scripts", "validate", "testdata/scripts/good.toml", "testdata/scripts/broken.toml")
	if code == 0 || !strings.Contains(out, "good.toml: ok") || !strings.Contains(errOut, "broken.toml:43:") {
		t.Errorf("two files: exit %d, out %q, stderr %q", code, out, errOut)
	}
}

func TestScriptsPreview(t *testing.T) {
	code, out, errOut := runScriptsCmd(t, "scripts", "preview", "testdata/scripts/good.toml",
		"--at", "2026-10-08T09:00:00+08:00", "--name", "王", "--title", "女士", "--agent", "李娜",
		"--service", "上门保洁", "--service-time", "2026-09-20", "--reply-by", "2026-10-09T15:00:00+08:00")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"at:         2026-10-08 09:00 Thursday (Asia/Shanghai)",
		"caller:     known (王女士)",
		"holiday:    国庆节 (national_day) 2026-10-01 to 2026-10-08, from testdata/scripts/good.toml:",
		"opening:    国庆节快乐！西太平洋物业客服中心，请问有什么可以帮您！   [national_day]",
		"standard:   早上好！西太平洋物业欢迎您的来电，请问有什么可以帮您？",
		"silent:     您好，西太平洋物业客服中心，欢迎您的来电。",
		"outbound:   您好，请问是王女士吗？我姓李，是西太平洋物业客服中心打来的",
		"never say:  喂，说话呀",
		"[holidays]\n春节 (spring_festival), 2026-02-16 to 2026-02-23 (default):\n  新年好！西太平洋物业客服中心",
		"国庆节 (national_day), 2026-10-01 to 2026-10-08 (notice):",
		"cannot_answer_now — 无法当场答复的投诉:\n  很抱歉，王女士，多谢您反映的意见，我们会尽快向上级部门反映，并在2小时之内给您明确的答复，再见！",
		"listen 听清楚:\n  prompt: 耐心听客户讲完",
		"  say:    我们会尽快向上级部门反映，并在2小时之内给您明确的答复。",
		"reassure:   我会尽快处理。",
		"goodbye:    再见！",
		"reminder:   请等客户先挂断电话，再挂机。",
		"开始: 您好，我是西太平洋物业的客服代表，请问您是王女士吗？打扰您了。",
		"交流: 感谢您在9月20日接受了我们西太平洋物业的上门保洁服务项目",
		"满意时: 您对我们的服务有什么建议吗？",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "{{") || strings.Contains(out, "[missing values]") {
		t.Errorf("with every value given, nothing is missing:\n%s", out)
	}
	// The default pack says the agreed reply time when there is one.
	_, out, _ = runScriptsCmd(t, "scripts", "preview", filepath.Join("..", "..", "scripts", "packs", "zh-Hans.toml"),
		"--at", "2026-10-08T09:00:00+08:00", "--reply-by", "2026-10-09T15:00:00+08:00")
	if !strings.Contains(out, "  say:    我们会尽快向上级部门反映，并在明天15:00之前给您明确的答复。") {
		t.Errorf("--reply-by is not in the follow step:\n%s", out)
	}
}

func TestScriptsPreview_DefaultCalendarAndMissingValues(t *testing.T) {
	code, out, errOut := runScriptsCmd(t, "scripts", "preview", "testdata/scripts/good.toml", "--at", "2027-02-06T10:00:00+08:00", "--silent")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"holiday:    春节 (spring_festival) 2027-02-05 to 2027-02-12, from the default calendar",
		"opening:    您好，西太平洋物业客服中心，欢迎您的来电。   [silent]",
		"outbound:   您好，我姓【本人姓氏】，是西太平洋物业客服中心打来的",
		"salutation: 您",
		"caller:     anonymous (您)",
		"[missing values]\nopening.outbound: agent_surname (give --agent)",
		"callback[1].say: service_time (give --service-time), service (give --service)",
		"开始: 您好，我是西太平洋物业的客服代表，打扰您了。",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
}

// Every line of every default pack is printed for every kind of caller,
// with a placeholder where a value is missing, never template syntax.
func TestScriptsPreview_EveryPackEveryCaller(t *testing.T) {
	for _, l := range []string{"zh-Hans", "zh-Hant", "en"} {
		file := filepath.Join("..", "..", "scripts", "packs", l+".toml")
		for _, who := range [][]string{{"--name", "王", "--title", "先生"}, {"--name", "王"}, {}} {
			args := append([]string{"scripts", "preview", file, "--at", "2026-10-10T09:00:00+08:00"}, who...)
			code, out, errOut := runScriptsCmd(t, args...)
			if code != 0 {
				t.Fatalf("%s %v: exit %d, %s", l, who, code, errOut)
			}
			for _, sec := range []string{"[opening]", "[holidays]", "[phrases]", "[complaint]", "[closing]", "[callback]"} {
				if !strings.Contains(out, sec) {
					t.Errorf("%s %v: no %s", l, who, sec)
				}
			}
			if strings.Contains(out, "{{") || strings.Count(out, "\n") < 60 {
				t.Errorf("%s %v: %d lines, or template syntax:\n%s", l, who, strings.Count(out, "\n"), out)
			}
		}
	}
}

func TestScriptsPreview_Errors(t *testing.T) {
	if code, _, _ := runScriptsCmd(t, "scripts", "preview", "testdata/scripts/good.toml"); code != 2 {
		t.Errorf("no --at: exit %d, want 2", code)
	}
	if code, out, errOut := runScriptsCmd(t, "scripts", "preview", "testdata/scripts/good.toml", "--at", "2026-10-01T09:00:00+08:00", "--reply-by", "tomorrow"); code == 0 || out != "" || !strings.Contains(errOut, "--reply-by") {
		t.Errorf("bad --reply-by: exit %d, out %q, stderr %q", code, out, errOut)
	}
	code, out, errOut := runScriptsCmd(t, "scripts", "preview", "testdata/scripts/broken.toml", "--at", "2026-10-01T09:00:00+08:00")
	if code == 0 || out != "" || !strings.Contains(errOut, "broken.toml:28:") {
		t.Errorf("broken: exit %d, out %q, stderr %q", code, out, errOut)
	}
}

func TestScriptsDefault_RoundTrip(t *testing.T) {
	code, out, _ := runScriptsCmd(t, "scripts", "default", "--lang", "zh-Hant")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "mine.toml")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runScriptsCmd(t, "scripts", "validate", file); code != 0 {
		t.Errorf("the printed default pack does not validate: %s", errOut)
	}
}
