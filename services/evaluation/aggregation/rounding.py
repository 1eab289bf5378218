"""The display rounding of exact results: stated once, applied only when a value is rendered."""

from fractions import Fraction

DISPLAY_PLACES = 2
DISPLAY_ROUNDING = "ROUND_HALF_UP"  # halves away from zero: 84.125 → 84.13


def display(value: Fraction, places: int = DISPLAY_PLACES) -> str:
    """`value` rounded half up to `places` decimals, as a string ("84.13"); the value itself stays exact."""
    # On the numerator and denominator as integers: the same digits as Decimal's ROUND_HALF_UP of the exact
    # value, without Fraction arithmetic (a cycle's aggregation renders ~800 of them per answer).
    scale = 10**places
    whole, rest = divmod(abs(value.numerator) * scale, value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    sign = "-" if value.numerator < 0 and whole else ""
    if not places:
        return f"{sign}{whole}"
    units, decimals = divmod(whole, scale)
    return f"{sign}{units}.{decimals:0{places}d}"


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
