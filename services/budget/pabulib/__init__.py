"""Reading and writing Pabulib ``.pb`` files (pabulib.org/format)."""

from .parser import (
    Amount,
    PbFormatError,
    PbInstance,
    PbProject,
    PbReader,
    PbVote,
    open_pb,
    parse_amount,
    parse_pb_file,
    parse_pb_lines,
    parse_pb_text,
)
from .writer import dumps_pb, write_pb, write_pb_file

__all__ = [
    "Amount",
    "PbFormatError",
    "PbInstance",
    "PbProject",
    "PbReader",
    "PbVote",
    "dumps_pb",
    "open_pb",
    "parse_amount",
    "parse_pb_file",
    "parse_pb_lines",
    "parse_pb_text",
    "write_pb",
    "write_pb_file",
]
