"""AWS's rules for resource tags, checked wherever a tag is written (stack files, schema files, scaffolds)."""

from __future__ import annotations

import unicodedata

# AWS's tag rules (DynamoDB TagResource): keys 1 to 128 characters, values up to 256, letters,
# digits, spaces and _ . : / = + - @ only, no `aws:` prefix, at most 50 tags per resource.
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
TAG_PUNCTUATION = set("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _.:/=+-@"
RESERVED_TAG_PREFIX = "aws:"


def tag_problem(name: str, value: object) -> str | None:
    """What AWS would reject about one tag, as the `allowed` text, or None."""
    def allowed(text: str) -> bool:
        return all(ch.isalnum() or ch == " " or unicodedata.category(ch) == "Zs" or ch in TAG_PUNCTUATION
                   for ch in text)
    if not 1 <= len(name) <= MAX_TAG_KEY or not allowed(name):
        return f"tag names of 1 to {MAX_TAG_KEY} {TAG_CHARACTERS}"
    if name.lower().startswith(RESERVED_TAG_PREFIX):
        return f"a tag name not starting with '{RESERVED_TAG_PREFIX}' (AWS reserves it)"
    if not isinstance(value, str) or len(value) > MAX_TAG_VALUE or not allowed(value):
        return f"a string of up to {MAX_TAG_VALUE} {TAG_CHARACTERS}"
    return None
