"""Reading and writing Pabulib ``.pb`` files (pabulib.org/format)."""

from .parser import (
    GROUP_COLUMN,
    GROUP_WEIGHTS_KEY,
    Amount,
    PbFormatError,
    PbInstance,
    PbProject,
    PbReader,
    PbVote,
    open_pb,
    parse_amount,
    parse_group_weights,
    parse_pb_file,
    parse_pb_lines,
    parse_pb_text,
)
from .writer import dumps_pb, format_group_weights, write_pb, write_pb_file

__all__ = [
    "GROUP_COLUMN",
    "GROUP_WEIGHTS_KEY",
    "Amount",
    "PbFormatError",
    "PbInstance",
    "PbProject",
    "PbReader",
    "PbVote",
    "dumps_pb",
    "format_group_weights",
    "open_pb",
    "parse_amount",
    "parse_group_weights",
    "parse_pb_file",
    "parse_pb_lines",
    "parse_pb_text",
    "write_pb",
    "write_pb_file",
]
