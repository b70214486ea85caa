-- Listing recordings: their agent (agent.Recording.Agent) and start
-- (agent.Recording.Started) go to the derived columns agent and call_at,
-- as a call's do (derive.go), so a listing of one agent's, one desk's or
-- everybody's recordings newest first reads an index. The recordings
-- stored before this migration are filled by its Go part.
CREATE INDEX records_recording_started ON records (call_at DESC NULLS LAST, id DESC) WHERE kind = 'recording' AND NOT deleted;
CREATE INDEX records_recording_agent ON records (agent, call_at DESC NULLS LAST, id DESC) WHERE kind = 'recording' AND NOT deleted;
CREATE INDEX records_recording_desk ON records (desk, call_at DESC NULLS LAST, id DESC) WHERE kind = 'recording' AND NOT deleted;
