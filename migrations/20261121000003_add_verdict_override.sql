-- The decision rule's own verdict at the moment of closing, and the written reason when the team
-- chose differently: "decisions that followed the rule" is a program metric, and an override
-- without a reason is how teams ship on noise.
ALTER TABLE experiment ADD COLUMN computed_verdict TEXT
    CHECK (computed_verdict IN ('ship', 'dont_ship', 'inconclusive', 'invalid'));
ALTER TABLE experiment ADD COLUMN computed_arm TEXT;
ALTER TABLE experiment ADD COLUMN override_reason TEXT;
