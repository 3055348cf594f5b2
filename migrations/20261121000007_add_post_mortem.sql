-- Post-mortems: moving to done requires lessons, so the learnings library fills itself. A
-- proposal made from a post-mortem's "next test idea" remembers the experiment it follows.
ALTER TABLE experiment ADD COLUMN lessons TEXT;
ALTER TABLE experiment ADD COLUMN segment_notes TEXT;
ALTER TABLE experiment ADD COLUMN next_idea TEXT;
ALTER TABLE experiment ADD COLUMN follows TEXT REFERENCES experiment (key) ON DELETE SET NULL;
