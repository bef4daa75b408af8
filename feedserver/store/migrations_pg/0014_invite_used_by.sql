-- PostgreSQL port of migrations/0014_invite_used_by.sql (see docs/architecture.md, "Two engines").
-- The host whose handshake used an invite, so that the same server can finish a handshake
-- whose answer it never got (federation/partners.py): the inviter answers that host again,
-- unchanged, while the invite lasts. NULL for an unused invite and for those used before.
ALTER TABLE partner_invites ADD COLUMN used_by TEXT;
