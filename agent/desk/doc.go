// Package desk is what the desk is doing right now: its configuration, the
// pop pipeline (telephony event → customer lookup → opening line → state
// snapshot) and the commands an agent gives (answer, hang up, dial…).
// The window (agent/ui) and deskctl watch share it, so the two cannot drift.
// It never imports Fyne.
//
// Concurrency: a Desk is a telephony.Emitter. Emit only queues the event
// (QueueSize deep; when full the event is dropped, counted in
// State.Dropped and logged, because a SIP goroutine must never wait on the
// desk). One goroutine per Desk takes events in order, updates the working
// state, publishes an immutable State to the subscribers and a WatchEvent
// to the watchers, then loads the caller card and publishes again.
// Commands call the Phone on the caller's goroutine; what they change comes
// back as telephony events through the same pipeline.
package desk
