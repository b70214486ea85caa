package hub

import (
	"agentdesk/agent/upstream"
)

// NewHandler is the hub's HTTP handler over db: the upstream protocol with
// the hub's logger and clock, and published packs validated as desks parse
// them (ValidatePack). opts come after those and may replace them.
func NewHandler(db *DB, opts ...upstream.ServerOption) *upstream.Server {
	base := []upstream.ServerOption{upstream.WithServerLogger(db.root), upstream.WithServerClock(db.clock), upstream.WithPackValidator(ValidatePack)}
	return upstream.NewServer(db, append(base, opts...)...)
}
