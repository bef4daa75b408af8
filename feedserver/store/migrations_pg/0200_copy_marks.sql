-- Member side: the helpful marks on a cached post, as its group's host relays them. Each is
-- the host's id for one member's mark (not who made it: copies show how many, and a mark on
-- a post our member wrote is evidence on their profile here). They go with their post.
CREATE TABLE cached_marks (
    mark_id   TEXT PRIMARY KEY,
    object_id TEXT NOT NULL REFERENCES cached_posts(object_id) ON DELETE CASCADE
);
CREATE INDEX cached_marks_object ON cached_marks(object_id);
