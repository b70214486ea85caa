// Package scripts holds what the agent says: script packs that trainers edit
// (one TOML file per locale), templates with {{variables}}, the choice of the
// opening line by time of day and holiday, the holiday calendar (solar and
// lunar dates, 2000–2100 by default, overridden year by year by the pack) and
// validation that reports problems as file:line in words a trainer
// understands.
//
// The default packs for zh-Hans, zh-Hant and en are embedded; their files are
// in packs/ and are meant to be copied and edited (deskctl scripts default).
//
// A pack file holds: lang, company, time_zone (default Asia/Shanghai); [vars]
// of the trainer's own; [[slots]] of time-of-day greetings (HH:MM ranges that
// must cover the day without overlap); [salutation]; [opening] with the
// standard, short, silent and outbound lines and the "never say" list;
// [holidays.ID] with each holiday's name and greeting; [[calendar]] ranges
// that replace the default calendar for one holiday in one year (the year of
// the range's last day); [[phrases]] (situation → line, never say);
// [complaint.STEP] prompts for the five clears and the report; [[callback]]
// lines; [closing].
//
// Choosing the opening (Pack.Opening): a silent call gets the silent line, an
// outbound call the outbound line; otherwise a holiday covering the day (in
// the pack's zone) replaces the time-of-day opening. When two holidays cover
// one day the order is 春节, 中秋, 国庆, 五一, 元旦, then the pack's own: so in
// 2025 the days of 中秋 inside the 国庆 week greet with 中秋节快乐.
package scripts
