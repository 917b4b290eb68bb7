"""Forms from plugin definitions: parse and validate submissions, messages naming the field."""
