import hashlib
import hmac

import pytest

from services.budget.elections.pb_import import VoterHasher


@pytest.mark.parametrize("length", [0, 1, 32, 63, 64, 65, 200])
def test_voter_hasher_is_hmac_sha256(length: int) -> None:
    key = bytes(range(256))[:length]
    messages = [b"", b"7:1401204197", "12:유권자".encode(), b"x" * 1000]
    expected = [hmac.new(key, message, hashlib.sha256).digest() for message in messages]
    assert VoterHasher(key).digests(messages) == expected
    assert VoterHasher(key).digests(iter(messages)) == expected
