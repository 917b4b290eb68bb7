"""Outgoing mail over SMTP (digests, registry review notices): counts and links, never a
supported person's name."""
