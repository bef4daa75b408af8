"""The one timestamp format: fixed width, UTC, sorting as text in time order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from feedserver.store.rows import parse_ts, ts


def test_timestamps_are_fixed_width_utc_and_round_trip():
    rng = random.Random(3339)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))]
    moments = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, UTC)]
    for _ in range(2000):
        moment = datetime.fromtimestamp(rng.uniform(0, 4e9), UTC)
        moment = moment.replace(microsecond=rng.choice([0, 7, 999999]))
        moments.append(moment.astimezone(rng.choice(zones)))
    texts = []
    for moment in moments:
        text = ts(moment)
        assert len(text) == 27 and text.endswith("Z"), text
        assert text == moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
        assert parse_ts(text) == moment
        texts.append(text)
    assert sorted(texts) == [ts(m) for m in sorted(moments)]
