-- Home and tag feeds over the copies of partners' groups: each post of a copy gets a key in
-- the order of our own post ids (ULID layout: the milliseconds of its `published`, then 80
-- bits), so a page of a feed merges our posts and the copies' by one cursor, each read as an
-- index range. Written by store/cached_groups.py with random bits; rows held before this
-- migration get theirs here.
ALTER TABLE cached_posts ADD COLUMN feed_key TEXT;
-- When we last took a version of the post from its host: a feed entry is updated then at the
-- latest (a post relayed late, or a copy filled when a member joins, still moves the feed's
-- Last-Modified). Rows held before this migration count from their `updated`.
ALTER TABLE cached_posts ADD COLUMN received_at TEXT;
UPDATE cached_posts SET received_at = updated;
UPDATE cached_posts SET feed_key = substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 45) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 40) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 35) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 30) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 25) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 20) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 15) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 10) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 5) & 31)::int + 1, 1) || substr('0123456789abcdefghjkmnpqrstvwxyz', ((t.ms >> 0) & 31)::int + 1, 1) || substr(md5(random()::text || cached_posts.object_id), 1, 16)
FROM (SELECT object_id,
             CASE WHEN published ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$'
                  THEN floor(extract(epoch FROM published::timestamptz) * 1000)::bigint
                  ELSE 0 END AS ms
      FROM cached_posts) AS t
WHERE cached_posts.object_id = t.object_id;

-- Which copies' posts a home feed reads: their accepted questions and tips, by key.
CREATE INDEX cached_posts_feed ON cached_posts(group_actor, feed_key)
    WHERE state = 'accepted' AND parent_id IS NULL;

-- The tags of the copies' accepted top-level posts, so a tag feed reads each copy's index
-- range of one tag (written with the post, gone with it).
CREATE TABLE cached_post_tags (
    group_actor TEXT NOT NULL,
    tag         TEXT NOT NULL,
    feed_key    TEXT NOT NULL,
    object_id   TEXT NOT NULL REFERENCES cached_posts(object_id) ON DELETE CASCADE,
    PRIMARY KEY (group_actor, tag, feed_key, object_id)
);
CREATE INDEX cached_post_tags_post ON cached_post_tags(object_id);

INSERT INTO cached_post_tags (group_actor, tag, feed_key, object_id)
SELECT DISTINCT group_actor, tag, feed_key, object_id
FROM cached_posts, unnest(string_to_array(tags, ' ')) AS tag
WHERE state = 'accepted' AND parent_id IS NULL AND tag <> ''
ON CONFLICT DO NOTHING;
