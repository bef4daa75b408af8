-- Partners' shared profiles by topic with the partner's aggregate evidence count for it, so
-- the expert directory ranks and pages partner entries with a keyset, like local ones.
CREATE TABLE partner_profile_topics (
    object_id      TEXT NOT NULL REFERENCES partner_profiles(object_id) ON DELETE CASCADE,
    topic          TEXT NOT NULL,
    evidence_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_id, topic)
);
CREATE INDEX partner_profile_topics_rank
    ON partner_profile_topics(topic, evidence_count DESC, object_id);

-- Profiles cached before this migration: their topics and counts, from the stored object.
INSERT OR IGNORE INTO partner_profile_topics (object_id, topic, evidence_count)
SELECT pp.object_id, t.topic,
       coalesce(json_extract(pp.object, '$."feedserver:evidence"."' || t.topic || '"'), 0)
FROM partner_profiles pp,
     (SELECT pp2.object_id AS oid, lower(ltrim(json_extract(j.value, '$.name'), '#')) AS topic
        FROM partner_profiles pp2, json_each(pp2.object, '$.tag') j
       WHERE json_type(j.value, '$.name') = 'text') t
WHERE t.oid = pp.object_id AND t.topic <> '';
