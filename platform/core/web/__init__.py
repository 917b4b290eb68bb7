"""Web machinery: per-tenant templating, rendering full pages or htmx fragments."""
