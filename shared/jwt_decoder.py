"""A PyJWT decoder without two per-decode costs of PyJWT 2.15 that a verifier pays on every request.

* `HMACAlgorithm.prepare_key` re-checks on every decode that the secret is not a PEM, SSH or DER key or a
  JSON JWK (a DER parse and a JSON parse that each fail by raising): ~7 % of the gateway's CPU a forwarded
  ballot. The secret never changes, so neither does the answer: `PreparedHMAC` remembers it.
  (Its key-length check and its HMAC are also done once / in one call: ~2 %.)
* `PyJWS._decode_base64url_segment` checks a segment's alphabet one byte at a time in a Python generator
  (~2.5 %). `SegmentsJWS` does the same checks in C for a segment that passes them and hands every other
  one to PyJWT's own method, which refuses it with PyJWT's own error.

Everything else — header and claim checks, the signature comparison, every error and its message — is
PyJWT's own. PyJWT has no public way to give a `PyJWT` its own `PyJWS`: it is the private `_jws`, and the
segment decoder a private static method. `hs256_decoder` fails at once if `_jws` is gone, and
tests/shared/test_auth.py fails if decodes no longer reach either replacement (a PyJWT upgrade then shows,
rather than silently costing the CPU again).
"""

import binascii
import hmac
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

_BASE64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")

_PREPARED_KEYS = 8
"""Distinct secrets remembered (the verifiers use one each); more are prepared per decode, as PyJWT does."""


class PreparedHMAC(HMACAlgorithm):
    """PyJWT's HMAC algorithm, remembering each secret it has prepared (a refused one is never remembered:
    it is refused again, by PyJWT's own check, on every decode) and its key-length verdict (which depends
    on the length alone), and signing with `hmac.digest`, the one-shot form of PyJWT's `hmac.new(...)
    .digest()` (the same bytes, without building an HMAC object)."""

    def __init__(self, hash_alg: Any) -> None:
        super().__init__(hash_alg)
        self.prepared: dict[str | bytes, bytes] = {}
        self._length_verdicts: dict[int, str | None] = {}

    def check_key_length(self, key: bytes) -> str | None:
        length = len(key)
        if length not in self._length_verdicts:
            self._length_verdicts[length] = super().check_key_length(key)
        return self._length_verdicts[length]

    def sign(self, msg: bytes, key: bytes) -> bytes:
        return hmac.digest(key, msg, self.hash_alg)

    def prepare_key(self, key: str | bytes) -> bytes:
        if isinstance(key, str | bytes) and (prepared := self.prepared.get(key)) is not None:
            return prepared
        prepared = super().prepare_key(key)
        if isinstance(key, str | bytes) and len(self.prepared) < _PREPARED_KEYS:
            self.prepared[key] = prepared
        return prepared


class SegmentsJWS(jwt.PyJWS):
    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        """PyJWT's checks — base64url alphabet only, no length of 4n+1, decodable, and its one canonical
        spelling — for an unpadded segment, in C; any other segment is PyJWT's own method's to accept or
        refuse."""
        if len(segment) % 4 != 1 and not segment.translate(None, _BASE64URL):
            # jwt.utils.base64url_decode and base64url_encode, without base64's Python wrappers
            try:
                decoded = binascii.a2b_base64(segment.translate(_TO_STANDARD) + b"=" * (-len(segment) % 4))
            except binascii.Error:
                decoded = None
            if (
                decoded is not None
                and binascii.b2a_base64(decoded, newline=False).translate(_TO_URLSAFE).rstrip(b"=") == segment
            ):
                return decoded
        return jwt.PyJWS._decode_base64url_segment(segment, name)


def hs256_decoder() -> jwt.PyJWT:
    """A `PyJWT` with PyJWT's default options, decoding with `SegmentsJWS` and HS256 as `PreparedHMAC`."""
    decoder = jwt.PyJWT()
    default = getattr(decoder, "_jws", None)
    if not isinstance(default, jwt.PyJWS):
        raise RuntimeError("PyJWT no longer decodes through PyJWT._jws: see shared/jwt_decoder.py")
    jws = decoder._jws = SegmentsJWS(options=default.options)
    jws.unregister_algorithm("HS256")
    jws.register_algorithm("HS256", PreparedHMAC(HMACAlgorithm.SHA256))
    return decoder


def prepared_hs256(decoder: jwt.PyJWT) -> PreparedHMAC:
    """The decoder's HS256 algorithm (for the test that proves decodes use it)."""
    algorithm = decoder._jws.get_algorithm_by_name("HS256")
    if not isinstance(algorithm, PreparedHMAC):
        raise RuntimeError("the decoder's HS256 is not PreparedHMAC")
    return algorithm
