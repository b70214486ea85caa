// Package scripts holds what the agent says: script packs that trainers edit
// (one TOML file per locale), templates with {{variables}}, the choice of the
// opening line by time of day and holiday, the holiday calendar (solar and
// lunar dates, 2000–2100 by default, rules of the pack's own, overridden
// year by year by notices) and validation that reports problems as file:line
// and field path, with a stable code, in words a trainer understands.
//
// The default packs for zh-Hans (the seeds' own phrases, Mainland calendar),
// zh-Hant (Taiwan: its terms, holidays and Asia/Taipei) and en are embedded;
// their files are in packs/ and are meant to be copied and edited (deskctl
// scripts default).
//
// A pack file holds: lang, company, time_zone (default Asia/Shanghai); [vars]
// of the trainer's own; [[slots]] of time-of-day greetings (HH:MM ranges that
// must cover the day without overlap); [salutation] (titled, untitled,
// title_only, anonymous, [salutation.titles], [salutation.bare_titles]);
// [opening] with the standard, short, silent and outbound lines and the
// "never say" list; [holidays.ID] with each holiday's name and greeting and
// optionally its rule: date = "MM-DD" or lunar = "MM-DD", with before/after
// days around it; [[calendar]] ranges that replace a holiday's dates for one
// year (the year of the range's last day); [[phrases]] (situation → line,
// never say); [complaint.STEP] prompts for the five clears and the report;
// [[callback]] lines; [closing] (reassure, thanks, goodbye, hang_up_first).
//
// Holidays: a built-in holiday (BuiltinHolidays) without a rule follows the
// default calendar (DefaultRanges); one with a rule follows the rule; a pack
// that leaves one out has no such holiday, and a pack may add its own (with a
// rule or with notices). A year's notice always wins.
//
// Templates (see template.go): {{name}} for a value, and {{if name}}…
// {{else}}…{{end}} for words that only read right when the value is known,
// so that lines read right for known, surname-only, title-only and
// anonymous callers. A value that is missing never shows as {{name}}: it
// renders as a placeholder (Placeholder: 【答复时限】, [reply time]) and is
// reported (Rendered.Missing, *MissingValueError).
//
// Choosing the opening (Pack.Opening): a silent call gets the silent line, an
// outbound call the outbound line; otherwise a holiday covering the day (in
// the pack's zone) replaces the time-of-day opening. When two holidays cover
// one day the order is 春节, 中秋, 国庆, 五一, 元旦, then the pack's own: so in
// 2025 the days of 中秋 inside the 国庆 week greet with 中秋节快乐.
//
// For the desk, each section renders for a Request (the call, caller, agent
// and the case being worked on): OpeningLines, HolidayGreetingAt,
// PhraseBook, ComplaintPrompts, ClosingLines, CallbackScript, and all of
// them at once in Preview. For the trainer's editor: Form (ReadForm, TOML,
// Check), VarInfos for the variable picker, YearCalendar for the year view,
// and SampleRequest for previews.
package scripts
