-- Notifications about a partner's group we hold a copy of (an answer to our member's
-- question there, their answer accepted, their write refused): the copy, and the post,
-- they are about. They go with the copy or the post, and are read only while the member
-- still belongs to the group (store/notifications.py).
ALTER TABLE notifications ADD COLUMN cached_group TEXT
    REFERENCES cached_groups(actor_id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN cached_post TEXT
    REFERENCES cached_posts(object_id) ON DELETE CASCADE;
CREATE INDEX notifications_cached_group ON notifications(cached_group);
CREATE INDEX notifications_cached_post ON notifications(cached_post);
