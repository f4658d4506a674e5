"""The business-stream simulator: a deterministic, realistic event stream from a seed.

``generate(SimulationConfig(...))`` yields Kafka records (topic, key, envelope or raw bytes)
for purchasing, sales, shipping, jobs and adjustments, interleaved across topics as real
producers deliver them, with optional duplicates and malformed messages. ``valid_events``
keeps what a correct ledger applies. Writers put a stream into a JSONL file or onto Kafka.
"""

from .config import Envelope, Fault, SimulatedMessage, SimulationConfig, TopicNames
from .stream import catalog_of, generate, valid_events

__all__ = [
    "Envelope",
    "Fault",
    "SimulatedMessage",
    "SimulationConfig",
    "TopicNames",
    "catalog_of",
    "generate",
    "valid_events",
]
