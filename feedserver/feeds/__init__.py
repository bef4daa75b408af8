"""Private Atom feeds: tokens in the URL, rendering with feedgen, and the rendered-bytes cache."""
