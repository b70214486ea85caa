// Package scripts holds what the agent says: script packs that trainers edit
// (one TOML file per locale), templates with {{variables}}, the choice of the
// opening line by time of day and holiday, the holiday calendar (solar and
// lunar dates, 2000–2100 by default, overridden year by year by the pack) and
// validation that reports problems as file:line in words a trainer
// understands.
//
// The default packs for zh-Hans, zh-Hant and en are embedded; their files are
// in packs/ and are meant to be copied and edited.
package scripts
