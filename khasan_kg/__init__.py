"""khasan-kg: a linked-data knowledge graph of the fighting at Lake Khasan, 1938."""

from __future__ import annotations

__version__ = "1.0.0"
