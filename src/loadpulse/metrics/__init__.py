"""Pure metrics core: histograms, recording, snapshots and aggregates. No I/O in this package."""

from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import NameStats, Snapshot

__all__ = ["Aggregate", "ErrorKind", "Histogram", "NameStats", "Recorder", "SeriesRow", "Snapshot"]
