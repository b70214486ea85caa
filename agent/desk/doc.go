// Package desk is what the desk is doing right now: its configuration, the
// pop pipeline (telephony event → customer lookup → opening line → state
// snapshot) and the commands an agent gives (answer, save a complaint step…).
// The window (agent/ui) and deskctl watch share it, so the two cannot drift.
// It never imports Fyne.
package desk
