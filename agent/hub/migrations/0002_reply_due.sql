-- A complaint's reply deadline by the domain's rule (agent.Complaint's
-- ReplyDue), computed by the hub when the record is pushed: NULL when the
-- case awaits no reply. The board's overdue list is reply_due < now. Rows
-- stored before this migration are filled by its Go part (backfillReplyDue).

ALTER TABLE records ADD COLUMN reply_due timestamptz;
CREATE INDEX records_reply_due ON records (reply_due) WHERE reply_due IS NOT NULL;
