"""The business-stream simulator: a deterministic, realistic event stream from a seed.

``generate(SimulationConfig(...))`` yields Kafka records (topic, key, envelope or raw bytes)
for purchasing, sales, shipping, jobs and adjustments, interleaved across topics as real
producers deliver them, with optional duplicates and malformed messages. ``valid_events``
keeps what a correct ledger applies. ``write_jsonl``/``read_jsonl`` and
``write_jsonl_parallel`` handle files; :func:`inventory_ledger.simulation.kafka.publish`
sends a stream to Kafka (kept out of this namespace so that importing the simulator does not
import aiokafka).
"""

from .catalog import Catalog, Item
from .config import Envelope, Fault, SimulatedMessage, SimulationConfig, TopicNames
from .jsonl import read_jsonl, write_jsonl
from .parallel import write_jsonl_parallel
from .stream import catalog_of, generate, valid_events

__all__ = [
    "Catalog",
    "Envelope",
    "Fault",
    "Item",
    "SimulatedMessage",
    "SimulationConfig",
    "TopicNames",
    "catalog_of",
    "generate",
    "read_jsonl",
    "valid_events",
    "write_jsonl",
    "write_jsonl_parallel",
]
