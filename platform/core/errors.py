"""Domain errors the web layer maps to responses."""


class NotFound(LookupError):
    """Missing — or another tenant's, or not the viewer's to see: always the same 404."""
