"""Frozen dataclasses passed between layers, one module per area. Imports nothing of ours
but itself; `from feedserver.models import X` works for every name."""

from feedserver.models.core import *  # noqa: F403
from feedserver.models.expertise import *  # noqa: F403
from feedserver.models.federation import *  # noqa: F403
from feedserver.models.mentoring import *  # noqa: F403
from feedserver.models.moderation import *  # noqa: F403
from feedserver.models.notifications import *  # noqa: F403
from feedserver.models.shared_groups import *  # noqa: F403
