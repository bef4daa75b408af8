-- PostgreSQL port of migrations/0008_federation_perf.sql (see docs/architecture.md, "Two engines").
-- Partners' shared profiles by topic with the partner's aggregate evidence count for it, so
-- the expert directory ranks and pages partner entries with a keyset, like local ones.
CREATE TABLE partner_profile_topics (
    object_id      TEXT NOT NULL REFERENCES partner_profiles(object_id) ON DELETE CASCADE,
    topic          TEXT NOT NULL,
    evidence_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (object_id, topic)
);
CREATE INDEX partner_profile_topics_rank
    ON partner_profile_topics(topic, evidence_count DESC, object_id);

-- Profiles cached before this migration: their topics and counts, from the stored object.
INSERT INTO partner_profile_topics (object_id, topic, evidence_count)
SELECT pp.object_id, t.topic,
       coalesce((pp.object::jsonb -> 'feedserver:evidence' ->> t.topic)::bigint, 0)
FROM partner_profiles pp,
     (SELECT pp2.object_id AS oid, lower(ltrim(j.value ->> 'name', '#')) AS topic
        FROM partner_profiles pp2, jsonb_array_elements(
            CASE WHEN jsonb_typeof(pp2.object::jsonb -> 'tag') = 'array'
                 THEN pp2.object::jsonb -> 'tag' ELSE '[]'::jsonb END) j
       WHERE jsonb_typeof(j.value -> 'name') = 'string') t
WHERE t.oid = pp.object_id AND t.topic <> ''
ON CONFLICT DO NOTHING;
