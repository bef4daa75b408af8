-- PostgreSQL port of migrations/0170_partner_writes.sql (see docs/architecture.md, "Two engines").
-- Writes into a shared group from its members on partner servers.

-- Hosting side: the account a partner's member writes under in our shared groups. Its
-- username is username@host (no local username has an "@"), it has no password, and it is
-- never listed with our members (directory, admin, counts): `home_host` says whose it is.
ALTER TABLE members ADD COLUMN home_host TEXT;

-- Hosting side: a post written on a member server keeps the id of the object its author's
-- server signed; the relay sends that object, proof intact, and replies name it. Kept when
-- the post is deleted (no foreign key), so that the Delete sent for it names that object.
CREATE TABLE partner_posts (
    post_id   TEXT PRIMARY KEY,
    object_id TEXT NOT NULL UNIQUE,
    host      TEXT NOT NULL
);

-- Member side: our members' writes into a partner's group are shown to their writer at
-- once, `pending` until the host relays them back (`accepted`), `refused` when it will not.
ALTER TABLE cached_posts ADD COLUMN state TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE cached_posts ADD COLUMN writer_id TEXT REFERENCES members(id) ON DELETE CASCADE;
ALTER TABLE cached_posts ADD COLUMN activity_id TEXT;
-- Member side: a question's accepted answer, as its host last told us (an object id).
ALTER TABLE cached_posts ADD COLUMN accepted_answer TEXT;
CREATE INDEX cached_posts_activity ON cached_posts(activity_id) WHERE activity_id IS NOT NULL;
