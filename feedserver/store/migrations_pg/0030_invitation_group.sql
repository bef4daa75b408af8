-- PostgreSQL port of migrations/0030_invitation_group.sql (see docs/architecture.md, "Two engines").
-- An invitation may carry a group the new member joins (as a member) when they accept it.
-- NULL: no group; a deleted group leaves the invitation usable, without a group.
ALTER TABLE invitations ADD COLUMN group_id TEXT REFERENCES groups(id) ON DELETE SET NULL;
