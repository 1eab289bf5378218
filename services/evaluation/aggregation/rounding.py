"""The display rounding of exact results: stated once, applied only when a value is rendered."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

DISPLAY_PLACES = 2
DISPLAY_ROUNDING = "ROUND_HALF_UP"  # halves away from zero: 84.125 → 84.13


def display(value: Fraction, places: int = DISPLAY_PLACES) -> str:
    """`value` rounded half up to `places` decimals, as a string ("84.13"); the value itself stays exact."""
    scaled = value * 10**places
    magnitude = abs(scaled)
    whole = magnitude.numerator // magnitude.denominator
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    quantum = Decimal(1).scaleb(-places)
    rounded = (Decimal(whole) * quantum).quantize(quantum, rounding=ROUND_HALF_UP)
    return str(-rounded if scaled < 0 and whole else rounded)


def exact(value: Fraction) -> str:
    """The exact value as text: a decimal when it terminates ("84.125"), else a fraction ("253/3")."""
    twos = fives = 0
    rest = value.denominator
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    # Digits by integer arithmetic: Decimal would round to its context's 28 digits.
    scaled = abs(value.numerator) * 10**places // value.denominator
    whole, fraction = divmod(scaled, 10**places)
    text = str(whole) + ("." + str(fraction).zfill(places)).rstrip("0").rstrip(".") if places else str(whole)
    return "-" + text if value < 0 else text
