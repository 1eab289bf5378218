"""The caller's language for error texts: Korean when `Accept-Language` prefers it, English otherwise."""

KOREAN = "ko"
ENGLISH = "en"


def preferred_language(accept_language: str | None) -> str:
    """`ko` or `en` by RFC 9110 quality values; ties go to the first listed, other languages are skipped."""
    if not accept_language:
        return ENGLISH
    best, best_q = ENGLISH, 0.0
    for part in accept_language.split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in (KOREAN, ENGLISH, "*"):
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        if q > best_q and primary != "*":
            best, best_q = primary, q
    return best
