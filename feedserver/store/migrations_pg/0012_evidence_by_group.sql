-- PostgreSQL port of migrations/0012_evidence_by_group.sql (see docs/architecture.md, "Two engines").
-- Evidence by the group it came from: when a group's visibility changes, the shared profiles
-- of the members with evidence there are pushed to partners again (domain/expertise.py,
-- on_group_visibility_changed). This index makes finding them cost what that group holds,
-- not what the server holds; it also serves the ON DELETE CASCADE from groups.
CREATE INDEX expertise_evidence_group ON expertise_evidence(group_id, member_id);
