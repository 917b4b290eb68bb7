"""What the HSDS import reads before it looks at a record: the JSON text, within limits.

The limits (also on the import page and in the README):

- at most :data:`MAX_IMPORT_MB` MB (MiB) of UTF-8 — the uploaded file, or the pasted text;
  a request body larger than that plus :data:`FORM_ALLOWANCE` is refused before it is read;
- arrays and objects nested at most :data:`MAX_DEPTH` deep. Open Referral's fully nested
  example service is 10 deep, Kasane's own export 8 and its API's fullest page 10;
  anything far deeper is not HSDS, and Python's parser stops at about 1,000 with a
  RecursionError (it was a 500).

Each refusal is a :class:`Problem` whose field is the form field (``file`` or ``json``)
and whose message names it in the caller's language.
"""

from __future__ import annotations

import json
from typing import Any

from kasane.core.i18n import N_, gettext
from kasane.core.registry.hsds_records import Problem

MAX_IMPORT_MB = 20
MAX_IMPORT_BYTES = MAX_IMPORT_MB * 1024 * 1024
FORM_ALLOWANCE = 1024 * 1024  # the form's other fields and the multipart framing
MAX_DEPTH = 64
FIELD_NAMES = {  # the report's field column → how the message names it
    "file": N_("The HSDS JSON file"),
    "json": N_("The pasted JSON"),
    "file / json": N_("The HSDS JSON file or the pasted JSON"),  # a body too large to read
}
TOO_LARGE = N_("%(field)s is larger than %(limit)s MB. Split the data into smaller files.")
TOO_DEEP = N_(
    "%(field)s is nested more than %(limit)s levels deep (arrays and objects). HSDS data"
    " is far shallower: check that this is an HSDS dataset."
)
NOT_JSON = N_("%(field)s is not valid JSON (line %(line)s, column %(col)s).")


def problem_of(field: str, message: str, **values: Any) -> Problem:
    """The dataset-level problem ``message`` about the form ``field``."""
    name = gettext(FIELD_NAMES[field])
    return Problem("dataset", "$", field, gettext(message, field=name, **values))


def too_large(field: str) -> Problem:
    return problem_of(field, TOO_LARGE, limit=MAX_IMPORT_MB)


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest deeper than ``limit`` (walked with a
    list, not recursion, so no depth can overflow the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def check_json(text: str, field: str) -> tuple[Any, Problem | None]:
    """The JSON in ``text`` (from the form ``field``), or the problem that refuses it."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_IMPORT_BYTES:
        return None, too_large(field)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, problem_of(field, NOT_JSON, line=exc.lineno, col=exc.colno)
    except RecursionError:
        return None, problem_of(field, TOO_DEEP, limit=MAX_DEPTH)
    if isinstance(data, dict | list) and nesting_exceeds(data, MAX_DEPTH):
        return None, problem_of(field, TOO_DEEP, limit=MAX_DEPTH)
    return data, None
